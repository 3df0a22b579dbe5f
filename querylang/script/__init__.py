"""Filter scripts: the JavaScript subset of Noodl's Query Records node, parsed and run safely.

:func:`parse_script` turns text into a typed syntax tree (:mod:`querylang.script.ast`);
:func:`run_script` runs it and reports the last ``where()``/``sort()`` arguments.
"""

from querylang.script.inputs import to_js
from querylang.script.interpreter import (
    MAX_BUILT,
    MAX_CALL_DEPTH,
    MAX_SECONDS,
    MAX_STEPS,
    ScriptResult,
    run_script,
)
from querylang.script.parser import MAX_DEPTH, MAX_SCRIPT_SIZE, parse_script
from querylang.script.values import MAX_ARRAY_LENGTH, MAX_RESULT_VALUES, MAX_STRING_LENGTH

__all__ = [
    "MAX_ARRAY_LENGTH",
    "MAX_BUILT",
    "MAX_CALL_DEPTH",
    "MAX_DEPTH",
    "MAX_RESULT_VALUES",
    "MAX_SECONDS",
    "MAX_SCRIPT_SIZE",
    "MAX_STEPS",
    "MAX_STRING_LENGTH",
    "ScriptResult",
    "parse_script",
    "run_script",
    "to_js",
]
