#!/usr/bin/env node
// Entry point installed as `alpaca-rag`; the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import "../dist/cli/main.js";
