// Runs a user's script as a Triggers job, in one of two ways (formats: WrapperProtocol.cs):
//   one job:    bun --no-install run wrapper.ts <script.ts> <input.json> <result.json>
//               The outcome goes to a file, not stdout, so everything the script prints stays a log line.
//   dedicated:  bun --no-install run wrapper.ts <script.ts> --serve <marker>
//               The script is loaded once; each stdin line is a job (input.json's content), answered by one stdout
//               line: the marker, then the outcome. Everything the job prints comes before its answer.
// Files go through Bun's own API: importing "node:fs" adds about 6 ms to every job.

type Job = {
  parameters: string[];
  args: Record<string, unknown>;
  preprocess: boolean;
  event: unknown;
  preprocess_only?: boolean;
  env?: Record<string, string>;
};

class ResultNotSerializable extends Error {
  override name = "ResultNotSerializable";
}

const [scriptPath, inputPath, resultPath] = process.argv.slice(2);
if (inputPath === "--serve") {
  const marker = resultPath;
  // One stream for everything a job prints, so that its output is read before its answer.
  for (const method of ["error", "warn", "info", "debug", "trace"] as const) console[method] = console.log;
  for await (const line of console) {
    if (line.trim() === "") continue;
    const job: Job = JSON.parse(line);
    // Each job sees its own contextual variables (WM_JOB_ID, ...), and none of an earlier job's.
    const variables = job.env ?? {};
    Object.assign(process.env, variables);
    try {
      console.log(marker + (await runJob(job)));
    } finally {
      for (const name of Object.keys(variables)) delete process.env[name];
    }
  }
} else {
  await Bun.write(resultPath, await runJob(await Bun.file(inputPath).json()));
}
// Timers or sockets the script left open must not keep a finished job (or a dedicated worker told to stop) running.
process.exit(0);

async function runJob(job: Job): Promise<string> {
  let mainArgs: Record<string, unknown> = {};
  try {
    // A dedicated worker imports the script once: later imports return the loaded module, state included.
    const script = await import(scriptPath);
    // A flow's preprocessor module may export only preprocessor: its result is then the job's.
    const preprocessorOnly = job.preprocess && typeof script.main !== "function";
    const main = preprocessorOnly ? undefined : exported(script, "main");
    let source = job.args;
    if (job.preprocess) {
      const returned = await exported(script, "preprocessor")(job.event);
      if (preprocessorOnly) return `{"ok":true,"result":${resultJson(returned)},"args":${argsJson({ event: job.event })}}`;
      if (returned === null || typeof returned !== "object" || Array.isArray(returned)) {
        throw new TypeError(
          `preprocessor must return an object whose keys are main's parameter names, but it returned ${kindOf(returned)}.`,
        );
      }
      source = returned;
    }
    mainArgs = bind(job.parameters, source);
    // A dry run of the preprocessor: what main would get is the answer.
    if (job.preprocess_only) return `{"ok":true,"result":${argsJson(mainArgs)},"args":${argsJson(mainArgs)}}`;
    // A missing argument is passed as undefined, so the parameter's default applies.
    const result = await main!(...job.parameters.map((name) => mainArgs[name]));
    return `{"ok":true,"result":${resultJson(result)},"args":${argsJson(mainArgs)}}`;
  } catch (error) {
    return `{"ok":false,"error":${JSON.stringify(describe(error))},"args":${argsJson(mainArgs)}}`;
  }
}

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
function argsJson(mainArgs: Record<string, unknown>): string {
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
