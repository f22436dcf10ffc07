"""Runs a user's script as a Triggers job, in one of two ways (formats: WrapperProtocol.cs):

  one job:    python3 -I wrapper.py <script.py> <input.json> <result.json>
              The outcome goes to a file, not stdout, so everything the script prints stays a log line.
  dedicated:  python3 -I wrapper.py <script.py> --serve <marker>
              The script is loaded once; each stdin line is a job (input.json's content), answered by one stdout
              line: the marker, then the outcome. Everything the job prints comes before its answer.
"""
import os
import sys
import types


class Json:
    """JSON through the C accelerator (_json) that the json package itself uses. Importing json costs about 3 ms, a
    quarter of a trivial job, because it compiles regular expressions (re, enum) that the accelerator does not need;
    where _json is missing or differs, json itself is used."""

    @staticmethod
    def _unserializable(value):
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    try:
        import _json

        class _Parsing:
            strict = True
            object_hook = None
            object_pairs_hook = None
            parse_float = float
            parse_int = int
            parse_constant = staticmethod({"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}.__getitem__)

        _scan = _json.make_scanner(_Parsing)
        # A Python whose accelerator takes other arguments fails here, and json is used instead.
        if _scan('{"a":[1,"\\u00e9"]}', 0)[0] != {"a": [1, "\u00e9"]} or "".join(_json.make_encoder(
                {}, repr, _json.encode_basestring, None, ":", ",", False, False, True)({"a": ["\u00e9"]}, 0)) != '{"a":["\u00e9"]}':
            raise TypeError("_json behaves differently")

        @classmethod
        def loads(cls, text):
            value, _ = cls._scan(text.strip(), 0)
            return value

        @classmethod
        def dumps(cls, value, default=None, allow_nan=True):
            # markers: circular references fail as in json; ensure_ascii=False (encode_basestring), compact separators.
            encode = cls._json.make_encoder({}, default or cls._unserializable, cls._json.encode_basestring, None, ":", ",",
                                            False, False, allow_nan)
            return "".join(encode(value, 0))
    except (ImportError, AttributeError, TypeError):
        import json as _fallback

        @classmethod
        def loads(cls, text):
            return cls._fallback.loads(text)

        @classmethod
        def dumps(cls, value, default=None, allow_nan=True):
            return cls._fallback.dumps(value, default=default, allow_nan=allow_nan, ensure_ascii=False, separators=(",", ":"))


class ResultNotSerializable(Exception):
    pass


def run_job(load_script, job):
    """Returns the outcome's JSON; main_args is filled in as soon as it is known. load_script() gives the module."""
    main_args = {}
    try:
        script = load_script()
        # A flow's preprocessor module may define only preprocessor: its result is then the job's.
        preprocessor_only = job["preprocess"] and not callable(getattr(script, "main", None))
        main = None if preprocessor_only else exported(script, "main")
        source = job["args"]
        if job["preprocess"]:
            source = call(exported(script, "preprocessor"), job["event"])
            if preprocessor_only:
                return '{"ok":true,"result":%s,"args":%s}' % (result_json(source), args_json({"event": job["event"]}))
            if not isinstance(source, dict):
                raise TypeError("preprocessor must return a dict whose keys are main's parameter names, "
                                f"but it returned {type(source).__name__}.")
        main_args = {name: source[name] for name in job["parameters"] if name in source}
        if job.get("preprocess_only"):  # a dry run of the preprocessor: what main would get is the answer
            return '{"ok":true,"result":%s,"args":%s}' % (args_json(main_args), args_json(main_args))
        # A missing argument is not passed at all, so the parameter's default applies.
        result = call(main, **main_args)
        return '{"ok":true,"result":%s,"args":%s}' % (result_json(result), args_json(main_args))
    except Exception as error:  # SystemExit is not caught: the script asked to end the process.
        return '{"ok":false,"error":%s,"args":%s}' % (Json.dumps(describe(error)), args_json(main_args))


def load(path):
    # -I keeps the script's directory off sys.path, so it is loaded by file rather than imported by name; compiled and
    # run here rather than through importlib.util, whose import costs about 2 ms, a sixth of a trivial job. Registered
    # under its name first, as an import would, for what looks its module up (dataclasses, pickle, typing).
    module = types.ModuleType("script")
    module.__file__ = path
    sys.modules["script"] = module
    with open(path, "rb") as source:
        exec(compile(source.read(), path, "exec"), module.__dict__)
    return module


def exported(script, name):
    function = getattr(script, name, None)
    if not callable(function):
        raise TypeError(f"The script does not define a function named {name}.")
    return function


def call(function, *args, **kwargs):
    value = function(*args, **kwargs)
    if isinstance(value, types.CoroutineType):
        # Imported only here: asyncio takes about 50 ms to import, more than the rest of a trivial job.
        import asyncio
        return asyncio.run(value)
    return value


def result_json(result):
    try:
        return Json.dumps(result, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as error:
        raise ResultNotSerializable(f"main's result cannot be converted to JSON: {error}") from None


def args_json(main_args):
    # Reported for information only, so values JSON cannot hold are approximated, never fatal.
    try:
        return Json.dumps(main_args, default=repr)
    except (TypeError, ValueError, RecursionError):
        return Json.dumps({name: repr(value) for name, value in main_args.items()})


def describe(error):
    import traceback  # only failed jobs pay for it (it pulls in tokenize and linecache)
    # The wrapper's and the import machinery's frames are noise to the script's author.
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename != __file__ and not frame.filename.startswith("<frozen importlib")]
    stack = ("Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
             + "".join(traceback.format_exception_only(type(error), error)))
    return {"name": type(error).__name__, "message": str(error), "stack": stack}


def serve(script_path, marker):
    out = sys.stdout
    sys.stderr = out  # one stream for everything a job prints, so that its output is read before its answer
    loaded = []

    def script():
        # Loaded once, by the first job; a script that fails to load fails every job with the same error.
        if not loaded:
            try:
                loaded.append((load(script_path), None))
            except Exception as error:
                loaded.append((None, error))
        module, error = loaded[0]
        if error is not None:
            raise error
        return module

    while line := sys.stdin.readline():
        if line.strip():
            job = Json.loads(line)
            # Each job sees its own contextual variables (WM_JOB_ID, ...), and none of an earlier job's.
            variables = job.get("env") or {}
            os.environ.update(variables)
            try:
                out.write(marker + run_job(script, job) + "\n")
                out.flush()
            finally:
                for name in variables:
                    os.environ.pop(name, None)


if __name__ == "__main__":
    # Each line is written whole as soon as it ends (unbuffered, print writes a line and its newline separately, and
    # the other stream's output can land between them), so prints and tracebacks reach the logs in order, line by line.
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    script_path = sys.argv[1]
    # The script's installed packages, linked beside it by the silo when it has any, and the workspace scripts it
    # imports (from f.team.helpers import x), written beside it as namespace packages f/ and u/.
    job_directory = os.path.dirname(os.path.abspath(script_path))
    packages = os.path.join(job_directory, "site-packages")
    if os.path.isdir(packages):
        sys.path.insert(0, packages)
    if os.path.isdir(os.path.join(job_directory, "f")) or os.path.isdir(os.path.join(job_directory, "u")):
        sys.path.insert(0, job_directory)
    if sys.argv[2] == "--serve":
        serve(script_path, sys.argv[3])
    else:
        input_path, result_path = sys.argv[2:4]
        with open(input_path, encoding="utf-8") as input_file:
            outcome = run_job(lambda: load(script_path), Json.loads(input_file.read()))
        with open(result_path, "w", encoding="utf-8", errors="replace") as result_file:
            result_file.write(outcome)
    sys.stdout.flush()
    sys.stderr.flush()
    # Threads the script left running must not keep a finished job (or a stopped dedicated worker) alive.
    os._exit(0)
