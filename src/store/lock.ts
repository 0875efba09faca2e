// The writer's lock on a store: a file created exclusively, holding the owner's pid. A lock whose owner died
// (SIGKILL, power loss) is taken over at once, which an mtime-based lock (proper-lockfile) would refuse for seconds.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export class StoreLockedError extends Error {
  override name = "StoreLockedError";
}

interface LockOwner {
  pid: number;
  host: string;
  since: string;
  purpose: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class StoreLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly file: string) {
    process.once("exit", this.onExit);
  }

  /** Takes the lock or throws StoreLockedError naming the live owner. */
  static acquire(storeDir: string, purpose: string): StoreLock {
    const file = path.join(storeDir, "write.lock");
    const owner: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), purpose };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(file, "wx");
        fs.writeSync(fd, JSON.stringify(owner));
        fs.closeSync(fd);
        return new StoreLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      let current: LockOwner | null = null;
      try {
        current = JSON.parse(fs.readFileSync(file, "utf8")) as LockOwner;
      } catch {
        // Half-written by an owner killed between create and write: stale.
      }
      const stale = !current || (current.host === os.hostname() && !isAlive(current.pid));
      if (!stale)
        throw new StoreLockedError(
          `${storeDir} is locked: another ${current!.purpose} (pid ${current!.pid}, started ${current!.since}) is writing it. ` +
            `Wait for it to finish, or stop it first.`,
        );
      fs.rmSync(file, { force: true });
    }
    throw new StoreLockedError(`${storeDir}: could not take the write lock`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener("exit", this.onExit);
    try {
      const owner = JSON.parse(fs.readFileSync(this.file, "utf8")) as LockOwner;
      if (owner.pid === process.pid) fs.rmSync(this.file, { force: true });
    } catch {
      // already gone
    }
  }
}
