// The pinned AWS SDK warns on every client import that releases after January 2027 will
// need Node 22; it is about future versions, not these, and it buries test output.
const emit = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === "string" ? warning : warning.message;
  const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type === "NodeVersionSupportWarning" || (typeof warning !== "string" && warning.name === "NodeVersionSupportWarning") || text.includes("will require node >=22")) return;
  (emit as (...a: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
