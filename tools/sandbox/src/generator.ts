// What the sandbox uses of the generator's library: the same synthesis `tandem synth` does.
export { environmentFiles } from "../../generator/src/environments.ts";
export { synthesizeTree } from "../../generator/src/synth.ts";
