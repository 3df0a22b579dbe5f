"""The JavaScript subset: parse a filter script, then run it to a filter object and sort."""

from querylang.script.interpreter import ScriptResult, run_script, to_js
from querylang.script.parser import parse_script

__all__ = ["ScriptResult", "parse_script", "run_script", "to_js"]
