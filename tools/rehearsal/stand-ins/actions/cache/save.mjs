// The save half of actions/cache (its post step), for rehearsals (see action.yml).
import { input, paths, save } from "./store.mjs";

const key = input("key");
if (process.env.STATE_hit === "true")
  console.log(`Cache hit occurred on the primary key ${key}, not saving cache.`);
else if (save(key, paths())) console.log(`Cache saved with key: ${key}`);
else console.log(`Cache entry for ${key} exists already, not saving.`);
