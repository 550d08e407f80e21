// The documentation the tests hold to the code: the README and docs/*.md.
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./fixtures";

export const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** Every file of docs/, by its path relative to the repository. */
export const DOC_FILES: Readonly<Record<string, string>> = Object.fromEntries(
    fs.readdirSync(path.join(ROOT, "docs")).filter((name) => name.endsWith(".md")).map((name) => [`docs/${name}`, fs.readFileSync(path.join(ROOT, "docs", name), "utf8")]),
);

/** The README and every doc, as one text: for what must be said somewhere, or nowhere wrongly. */
export const ALL_DOCS = [README, ...Object.values(DOC_FILES)].join("\n");
