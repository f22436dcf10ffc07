// Runs a user's script as a Triggers job:  bun --no-install run wrapper.ts <script.ts> <input.json> <result.json>
// The file formats are described in WrapperProtocol.cs. The outcome goes to a file, not stdout, so everything the
// script prints stays a log line. Files go through Bun's own API: importing "node:fs" adds about 6 ms to every job.

type Job = { parameters: string[]; args: Record<string, unknown>; preprocess: boolean; event: unknown };

class ResultNotSerializable extends Error {
  override name = "ResultNotSerializable";
}

const [scriptPath, inputPath, resultPath] = process.argv.slice(2);
const job: Job = await Bun.file(inputPath).json();
let mainArgs: Record<string, unknown> = {};

try {
  const script = await import(scriptPath);
  const main = exported(script, "main");
  let source = job.args;
  if (job.preprocess) {
    const returned = await exported(script, "preprocessor")(job.event);
    if (returned === null || typeof returned !== "object" || Array.isArray(returned)) {
      throw new TypeError(
        `preprocessor must return an object whose keys are main's parameter names, but it returned ${kindOf(returned)}.`,
      );
    }
    source = returned;
  }
  mainArgs = bind(job.parameters, source);
  // A missing argument is passed as undefined, so the parameter's default applies.
  const result = await main(...job.parameters.map((name) => mainArgs[name]));
  await Bun.write(resultPath, `{"ok":true,"result":${resultJson(result)},"args":${argsJson()}}`);
} catch (error) {
  await Bun.write(resultPath, `{"ok":false,"error":${JSON.stringify(describe(error))},"args":${argsJson()}}`);
}
// Timers or sockets the script left open must not keep a finished job running.
process.exit(0);

function exported(script: Record<string, unknown>, name: string): (...args: unknown[]) => unknown {
  const value = script[name];
  if (typeof value !== "function") throw new TypeError(`The script does not export a function named ${name}.`);
  return value as (...args: unknown[]) => unknown;
}

function bind(parameters: string[], source: Record<string, unknown>): Record<string, unknown> {
  const bound: Record<string, unknown> = {};
  for (const name of parameters) if (Object.hasOwn(source, name)) bound[name] = source[name];
  return bound;
}

function resultJson(result: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(result === undefined ? null : result);
  } catch (error) {
    throw new ResultNotSerializable(`main's result cannot be converted to JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw new ResultNotSerializable(`main's result cannot be converted to JSON: it is a ${typeof result}.`);
  return text;
}

// main's arguments are reported for information only, so values JSON cannot hold are approximated, never fatal.
function argsJson(): string {
  try {
    return JSON.stringify(mainArgs, (_key, value) => (typeof value === "bigint" ? value.toString() : value)) ?? "{}";
  } catch {
    return JSON.stringify(Object.fromEntries(Object.entries(mainArgs).map(([key, value]) => [key, String(value)])));
  }
}

type Thrown = {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
  constructor?: { name?: string };
  // Bun's BuildMessage (a syntax error in the script) has no stack, only this.
  position?: { file: string; line: number; column: number; lineText: string } | null;
};

function describe(error: unknown): { name: string; message: string; stack: string | null } {
  if (error === null || typeof error !== "object") return { name: "Error", message: String(error), stack: null };

  const { name, message, stack, constructor, position } = error as Thrown;
  // `class NotFound extends Error` keeps name "Error": the class name is then the better name.
  const className = typeof name === "string" && name !== "Error" ? name : constructor?.name || "Error";
  let trace: string | null = null;
  if (typeof stack === "string") {
    // The wrapper's own frames are noise to the script's author.
    trace = stack.split("\n").filter((line) => !line.includes(import.meta.path)).join("\n");
  } else if (position) {
    trace = `at ${position.file}:${position.line}:${position.column}\n  ${position.lineText}`;
  }
  return {
    name: className === "Object" ? "Error" : className,
    message: typeof message === "string" ? message : String(error),
    stack: trace,
  };
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return value === undefined ? "undefined" : `a ${typeof value}`;
}
