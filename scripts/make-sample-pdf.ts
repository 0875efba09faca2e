// Writes the sample PDF users find in ingest/ (an English handbook of a made-up seed library), byte for byte the same
// on every run: the dates in its info dictionary are fixed, and pdfkit derives the file ID from them.
// Run: npx tsx scripts/make-sample-pdf.ts
import { createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";
import PDFDocument from "pdfkit";

const outputPath = fileURLToPath(new URL("../ingest/northvale-seed-library.pdf", import.meta.url));
const fixedDate = new Date(Date.UTC(2024, 0, 15, 9, 0, 0));

const title = "The Northvale Seed Library: A Short Handbook";

const sections: { heading: string; paragraphs: string[] }[] = [
  {
    heading: "1 How the library began",
    paragraphs: [
      "The Northvale Seed Library is an imaginary community project used here as sample material. In this story " +
        "it was founded in 2011 by a group of allotment gardeners who had more seed than they could sow and too " +
        "little space to store it. They put the surplus into paper envelopes, labelled each one by hand, and kept " +
        "them in an old card catalogue in the reading room of the town library.",
      "Within three years the collection had grown to 340 varieties of vegetables, herbs and flowers. Most of " +
        "them are open-pollinated plants that have been grown in the valley for decades, including a runner bean " +
        "with purple flowers that older members remember from their grandparents' gardens.",
    ],
  },
  {
    heading: "2 Borrowing and returning seed",
    paragraphs: [
      "Anyone with a library card may borrow up to five packets each season, free of charge. A borrower writes " +
        "the variety and the date in the ledger beside the catalogue, and a volunteer adds a note if the packet " +
        "is one of the last few of its kind.",
      "Borrowing is only half of the arrangement. At the end of the season each gardener is asked to let a few " +
        "healthy plants go to seed, to dry and clean the seed, and to bring back at least as much as they took. " +
        "Returned seed is tested for germination on damp paper in the spring: a batch in which fewer than seven " +
        "seeds out of ten sprout is composted rather than lent again.",
    ],
  },
  {
    heading: "3 Keeping varieties true",
    paragraphs: [
      "Some crops cross readily with their neighbours. Squash, maize and many brassicas are pollinated by " +
        "insects or wind over long distances, so seed saved from a mixed plot may not resemble its parent. The " +
        "library therefore marks these varieties with a red dot and lends them only to members who can grow a " +
        "single variety of the crop that year, or who agree to pollinate the flowers by hand and bag them.",
      "Beans, peas, lettuce and tomatoes mostly pollinate themselves and are the easiest place to start. New " +
        "members are encouraged to begin with one of these and to attend the seed-cleaning evening held on the " +
        "first Thursday of October.",
    ],
  },
];

const doc = new PDFDocument({
  size: "A4",
  margin: 64,
  info: { Title: title, Author: "alpaca-rag sample documents", CreationDate: fixedDate, ModDate: fixedDate },
});
doc.pipe(createWriteStream(outputPath));

doc.font("Helvetica-Bold").fontSize(18).text(title).moveDown(0.8);
for (const section of sections) {
  doc.font("Helvetica-Bold").fontSize(13).text(section.heading).moveDown(0.4);
  for (const paragraph of section.paragraphs) doc.font("Helvetica").fontSize(11).text(paragraph).moveDown(0.6);
  doc.moveDown(0.4);
}
doc.end();
console.log(`wrote ${outputPath}`);
