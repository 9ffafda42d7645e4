// Module hooks for node22-fs-shim.mjs: the conformance suite gets a "fs"
// that also exports globSync; everything else is untouched.
export async function resolve(specifier, context, next) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL?.includes('@modelcontextprotocol/conformance')) {
    return { url: 'mcpauth-shim:fs', shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url === 'mcpauth-shim:fs') {
    return {
      format: 'module', shortCircuit: true,
      source: "import fs from 'node:fs'; export * from 'node:fs'; export default fs;\n" +
        "export function globSync() { throw new Error('globSync needs Node 22'); }\n",
    };
  }
  return next(url, context);
}
