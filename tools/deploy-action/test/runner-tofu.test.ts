import { runnerSuite } from "./runner-suite.ts";

runnerSuite("tofu");
