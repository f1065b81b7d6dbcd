// The restore half of actions/cache, for rehearsals (see action.yml).
import { appendFileSync } from "node:fs";
import { fail, find, input, paths, restore } from "./store.mjs";

const key = input("key") || fail("Input required and not supplied: key");
const targets = paths();
const prefixes = input("restore-keys")
  .split("\n")
  .map((k) => k.trim())
  .filter(Boolean);
const found = find(key, prefixes);
if (!found && input("fail-on-cache-miss") === "true") fail(`no cache entry for ${key}`);
if (found && input("lookup-only") !== "true") restore(found.key, targets);
appendFileSync(process.env.GITHUB_OUTPUT, `cache-hit=${found?.exact === true}\n`);
appendFileSync(process.env.GITHUB_STATE, `hit=${found?.exact === true}\n`);
console.log(
  found ? `Cache restored from key: ${found.key}` : `Cache not found for input keys: ${key}`,
);
