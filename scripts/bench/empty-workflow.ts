/**
 * The empty workflow of bench:ingest's baseline: a worker picks it up and it returns at once,
 * so starting it costs the server exactly one workflow start plus one workflow task, the
 * least any workflow can cost.
 */
export async function benchEmpty(): Promise<void> {}
