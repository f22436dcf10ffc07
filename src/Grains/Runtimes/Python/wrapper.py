"""Runs a user's script as a Triggers job:  python3 -I -u wrapper.py <script.py> <input.json> <result.json>

The file formats are described in WrapperProtocol.cs. The outcome goes to a file, not stdout, so everything the
script prints stays a log line.
"""
import importlib.util
import json
import os
import sys
import types


class ResultNotSerializable(Exception):
    pass


def run_job(script_path, job):
    """Returns the result file's content; main_args is filled in as soon as it is known."""
    main_args = {}
    try:
        script = load(script_path)
        main = exported(script, "main")
        source = job["args"]
        if job["preprocess"]:
            source = call(exported(script, "preprocessor"), job["event"])
            if not isinstance(source, dict):
                raise TypeError("preprocessor must return a dict whose keys are main's parameter names, "
                                f"but it returned {type(source).__name__}.")
        main_args = {name: source[name] for name in job["parameters"] if name in source}
        # A missing argument is not passed at all, so the parameter's default applies.
        result = call(main, **main_args)
        return '{"ok":true,"result":%s,"args":%s}' % (result_json(result), args_json(main_args))
    except Exception as error:  # SystemExit is not caught: the script asked to end the process.
        return '{"ok":false,"error":%s,"args":%s}' % (json.dumps(describe(error), ensure_ascii=False), args_json(main_args))


def load(path):
    # -I keeps the script's directory off sys.path, so it is loaded by file rather than imported by name.
    spec = importlib.util.spec_from_file_location("script", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["script"] = module
    spec.loader.exec_module(module)
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
        return json.dumps(result, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as error:
        raise ResultNotSerializable(f"main's result cannot be converted to JSON: {error}") from None


def args_json(main_args):
    # Reported for information only, so values JSON cannot hold are approximated, never fatal.
    try:
        return json.dumps(main_args, default=repr, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return json.dumps({name: repr(value) for name, value in main_args.items()}, ensure_ascii=False)


def describe(error):
    import traceback  # only failed jobs pay for it (it pulls in tokenize and linecache)
    # The wrapper's and the import machinery's frames are noise to the script's author.
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename != __file__ and not frame.filename.startswith("<frozen importlib")]
    stack = ("Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
             + "".join(traceback.format_exception_only(type(error), error)))
    return {"name": type(error).__name__, "message": str(error), "stack": stack}


if __name__ == "__main__":
    script_path, input_path, result_path = sys.argv[1:4]
    with open(input_path, encoding="utf-8") as input_file:
        outcome = run_job(script_path, json.load(input_file))
    with open(result_path, "w", encoding="utf-8", errors="replace") as result_file:
        result_file.write(outcome)
    sys.stdout.flush()
    sys.stderr.flush()
    # Threads the script left running must not keep a finished job alive.
    os._exit(0)
