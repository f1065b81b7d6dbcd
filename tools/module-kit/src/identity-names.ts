/**
 * What the generator reads of a module's identity part, kept free of cdktf so the generator can
 * import it without loading the provider bindings.
 */

/** The output an identity part declares: resource address -> { region -> import id }. */
export const IMPORT_IDS_OUTPUT = "import_ids";
