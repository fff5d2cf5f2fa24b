"""What a user-edited template may cost: steps, time, and the size of everything it builds.

Clerks edit the jinja2 templates (``letters/``, or the folder Settings "Templates folder"
names). jinja2's sandbox keeps a template away from Python's internals, not from the machine:
``{{ 'a' * 10**9 }}`` takes a gigabyte, two nested ``range`` loops run for hours. So every way
a template can spend time or memory is metered here against one budget per communication (all
its parts share it); a template that overspends raises ``TemplateLimit``, which ``render``
reports naming the template file, and ``render_batch`` drafts nothing from that template.

The limits are far above what a letter needs: a shipped template renders a part of a few
kilobytes in a few hundred steps.

What is bounded, and how (``BoundedEnvironment``)
-------------------------------------------------
- Steps, at most MAX_STEPS: every loop iteration (the code generator wraps each ``for``
  iterable), call (macro, method, global, ``caller``, ``loop``), filter (``map`` and
  ``select`` apply theirs one item at a time), output expression and include, import or
  extends. Every 32nd step reads the clock: at most MAX_SECONDS.
- The size of every value: no string and no container is larger than MAX_OUTPUT characters.
  A container's size counts its items' (``size``), so a list that holds one list twice,
  doubled forty times, is as large as it would print, and comparing, hashing or printing a
  value is bounded with it. Checked before the operation wherever one step can multiply its
  input: ``*`` and ``**`` (integers up to MAX_INTEGER_BITS), ``+``, ``%``, ``~``,
  ``str.format``; the integer arguments of str, bytes and int methods (``center``, ``ljust``,
  ``zfill``, ``to_bytes``...) and their ``replace``, ``join``, ``expandtabs`` and
  ``translate``; the filters ``center``, ``indent``, ``wordwrap``, ``format``, ``replace``,
  ``join``, ``batch``, ``slice``, ``sum``, ``pprint`` and ``tojson``. Checked after it for the
  other calls and filters (none grows its input by more than a small factor) and for list,
  tuple and dict literals.
- Memory, through MAX_BUILT: what each of those operations builds, the arguments of every
  call and every output expression count towards it, so nothing a template holds was not
  paid for. Each part, and each captured block (``{% set %}...{% endset %}``, a macro's body,
  ``{% filter %}``), is at most MAX_OUTPUT characters.
- Template files are at most MAX_SOURCE bytes, refused before they are read: compiling is
  not metered (about 20 µs a tag). ``wordwrap`` takes at most MAX_WRAPPED characters (it is
  quadratic in a long word). ``lipsum`` is not offered: its paragraph count is unchecked.

Not bounded
-----------
- One operation on values within the limits runs to its end before the next check: sorting,
  comparing or hashing a container of MAX_OUTPUT, a regular expression (``striptags``,
  ``urlize``) or babel on such a string. About a second at most.
- Compiling a template (bounded by MAX_SOURCE only) and recursion: Python's recursion limit
  stops a template that includes or calls itself (a RecursionError, reported like a limit).
- Bookkeeping that is not a value: references to constant text a loop repeats, which grow
  with the steps, and compiled templates in jinja2's cache.
- A template just under the limits costs that much for every communication of a batch.
- Tests (``is divisibleby``, ``is in``) are not metered; their operands are bounded values.
- It is accounting inside the process, not an operating-system limit: a flaw in jinja2,
  babel or this module is not contained by it.
"""
from __future__ import annotations

import functools
import math
import os
import posixpath
import re
from contextvars import ContextVar
from string import Formatter
from time import monotonic

import jinja2
from jinja2 import FileSystemLoader, nodes
from jinja2.compiler import CodeGenerator, optimizeconst
from jinja2.loaders import split_template_path
from jinja2.runtime import BlockReference, LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.utils import Namespace
from markupsafe import Markup, escape

MAX_STEPS = 1_000_000        # loop iterations, calls, filters, outputs and includes per communication
MAX_SECONDS = 5.0            # per communication, all its parts
MAX_OUTPUT = 2_000_000       # characters in a part, and in any one string or container a template builds
MAX_BUILT = 10_000_000       # characters built in all, per communication
MAX_INTEGER_BITS = 14_000    # about the 4,300 digits Python will print
MAX_SOURCE = 100_000         # bytes in one template file
MAX_WRAPPED = 100_000        # characters the wordwrap filter takes


class TemplateLimit(SecurityError):
    """A template went past a limit; the message says which, ``filename`` the file when it is known."""

    def __init__(self, message: str, filename: str | None = None):
        super().__init__(message)
        self.filename = filename


def _too_big() -> TemplateLimit:
    return TemplateLimit(f"a value or part of more than {MAX_OUTPUT:,} characters")


class _Budget:
    """What one communication may still spend. The hooks update it inline (they run for every output)."""

    __slots__ = ("steps", "built", "deadline")

    def __init__(self):
        self.steps = MAX_STEPS
        self.built = 0
        self.deadline = monotonic() + MAX_SECONDS

    def charge(self, chars: int) -> None:
        self.built += chars
        if self.built > MAX_BUILT:
            self.check()

    def spend(self, chars: int = 0) -> None:
        """One step that built ``chars``."""
        self.built += chars
        self.steps -= 1
        if self.built > MAX_BUILT or not self.steps & 31:
            self.check()

    def check(self) -> None:
        """Raise if over a limit; the clock is read here, every 32 steps (it costs more than the count)."""
        if self.built > MAX_BUILT:
            raise TemplateLimit(f"more than {MAX_BUILT:,} characters built for one communication")
        if self.steps < 0:
            raise TemplateLimit(f"more than {MAX_STEPS:,} steps (loop iterations, calls, filters, "
                                f"outputs) for one communication")
        if monotonic() > self.deadline:
            raise TemplateLimit(f"more than {MAX_SECONDS:g} s for one communication")


_active: ContextVar[_Budget] = ContextVar("template_budget")


class bounded:
    """Meter template code against the budget in force, else a new one: ``render`` opens one per communication."""

    __slots__ = ("_token",)

    def __enter__(self):
        self._token = None if _active.get(None) else _active.set(_Budget())

    def __exit__(self, *exc):
        if self._token is not None:
            _active.reset(self._token)


# --------------------------------------------------------------------------- sizes

def size(value) -> int:
    """Characters ``value`` can print as, about: a string's length, a container's items' sizes summed.

    Shared items count each time they occur, as they print. Raises TemplateLimit past MAX_OUTPUT,
    so the walk itself is bounded.
    """
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, (bytes, list, tuple, set, frozenset, dict, Namespace)):
        return value.bit_length() // 3 + 1 if isinstance(value, int) else 1
    total, stack = 0, [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (str, bytes)):
            total += len(v)
        elif isinstance(v, (list, tuple, set, frozenset, dict)):
            total += len(v) + 1
            if total <= MAX_OUTPUT:
                for items in (v, v.values()) if isinstance(v, dict) else (v,):
                    total += _flat_size(items, stack)
        elif isinstance(v, Namespace):
            stack.append(v._Namespace__attrs)  # its attributes, as its repr shows them
        elif isinstance(v, int):
            total += v.bit_length() // 3 + 1
        else:
            total += 1
        if total > MAX_OUTPUT:
            raise _too_big()
    return total


_TEXT = frozenset({str, Markup})
_WHOLE = frozenset({int, bool})


def _flat_size(items, stack: list) -> int:
    """Size of a container's items when all are text or all integers (summed in C: a million-item
    list is counted in milliseconds); otherwise 0, the items pushed on ``stack`` to walk one by one."""
    kinds = set(map(type, items))
    if kinds <= _TEXT:
        return sum(map(len, items))
    if kinds <= _WHOLE:
        return sum(map(int.bit_length, items)) // 3 + len(items)
    stack.extend(items)
    return 0


def _at_most(chars: int) -> int:
    if chars > MAX_OUTPUT:
        raise _too_big()
    return chars


def _integer(bits: float) -> None:
    if bits > MAX_INTEGER_BITS:
        raise TemplateLimit(f"an integer of more than {MAX_INTEGER_BITS:,} bits")


def _laid_out(value) -> int:
    """Characters ``value`` can take pretty-printed (pprint, tojson's indent): an item a line, indented by its depth."""
    total, stack = 0, [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (list, tuple, set, frozenset, dict)):
            total += depth + 2
            items = [x for kv in v.items() for x in kv] if isinstance(v, dict) else v
            if total + len(items) <= MAX_OUTPUT:
                stack.extend((x, depth + 1) for x in items)
        else:
            total += depth + size(v)
        _at_most(total + len(stack))
    return total


_PERCENT = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.?)", re.S)
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?", re.S)


def _widest(values) -> int:
    """The largest integer among ``values``: the most a ``*`` or nested ``{}`` width can ask for."""
    return max((v for v in values if isinstance(v, int)), default=0)


def _percent_size(fmt, values) -> int:
    """Most characters ``fmt % values`` can make: each conversion takes its width and precision, and at most all the values."""
    if isinstance(fmt, bytes):
        fmt = fmt.decode("latin-1")
    given = values if isinstance(values, tuple) else (values,)
    each, widest = size(values), _widest(given)
    total = len(fmt)
    for width, precision, kind in _PERCENT.findall(fmt):
        if kind != "%":
            total += each + sum(widest if n == "*" else int(n or 0) for n in (width, precision))
    return _at_most(total)


def _format_size(fmt: str, args: tuple, kwargs: dict) -> int:
    """Most characters ``fmt.format(*args, **kwargs)`` can make, as ``_percent_size``."""
    each, widest = size(args) + size(kwargs), _widest((*args, *kwargs.values()))
    total = len(fmt)
    for _text, field, spec, _conversion in Formatter().parse(fmt):
        if field is None:
            continue
        total += each
        if "{" in (spec or ""):
            total += widest
        elif spec:
            width, precision = _SPEC.match(spec).groups()
            total += int(width or 0) + int(precision or 0)
    return _at_most(total)


def _method_args(owner, name: str, args: tuple, kwargs: dict) -> tuple:
    """The arguments to call ``owner.<name>`` with (``join``'s iterable made a list), once its result is known to fit."""
    if _widest((*args, *kwargs.values())) > MAX_OUTPUT:  # a width, count or length: center, zfill, to_bytes...
        raise _too_big()
    if not isinstance(owner, (str, bytes)):
        return args
    if name == "expandtabs":
        tab = "\t" if isinstance(owner, str) else b"\t"
        _at_most(len(owner) + owner.count(tab) * _widest((8, *args, *kwargs.values())))
    elif name == "replace" and len(args) >= 2:
        count = owner.count(args[0])
        if len(args) > 2 and args[2] >= 0:
            count = min(count, args[2])
        _at_most(len(owner) + count * max(len(args[1]) - len(args[0]), 0))
    elif name == "join" and args:
        items = list(args[0])
        _at_most(size(items) + len(owner) * len(items))
        return (items, *args[1:])
    elif name == "translate" and args and isinstance(args[0], dict):
        longest = max((len(v) for v in args[0].values() if isinstance(v, (str, bytes))), default=1)
        _at_most(len(owner) * longest)
    return args


def _check_binop(operator: str, left, right) -> None:
    """Refuse ``left <operator> right`` before it runs when it would build too much."""
    texts = (str, bytes, list, tuple)
    if operator == "*":
        seq, times = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(times, int):
            if isinstance(seq, int):
                _integer(seq.bit_length() + times.bit_length())
            elif isinstance(seq, texts):
                _at_most(size(seq) * max(times, 0))
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 1 and abs(left) > 1:
            _integer(right if right > MAX_INTEGER_BITS else right * math.log2(abs(left)))
    elif operator == "+":
        if isinstance(left, texts) and isinstance(right, texts):
            _at_most(size(left) + size(right))
    elif isinstance(left, (str, bytes)):  # "%"
        _percent_size(left, right)


# --------------------------------------------------------------------------- filters

# Checks of the filters that can multiply their input, each with its filter's signature; one
# that returns arguments has made an iterable a list, to measure it, and the filter takes those.

def _check_indent(s, width=4, first=False, blank=False):
    s = str(s)
    _at_most(len(s) + (s.count("\n") + 1) * (len(width) if isinstance(width, str) else width))


def _check_wordwrap(environment, s, width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True):
    s = str(s)
    if len(s) > MAX_WRAPPED:
        raise TemplateLimit(f"wordwrap of more than {MAX_WRAPPED:,} characters")
    _at_most(len(s) + (len(s) // max(width, 1) + 1) * len(wrapstring or "\n"))


def _check_replace(eval_ctx, s, old, new, count=None):
    s, old = str(s), str(old)
    times = s.count(old) if count is None or count < 0 else min(s.count(old), count)
    grown = len(escape(new)) if eval_ctx.autoescape else len(str(new))
    _at_most(len(s) + times * max(grown - len(old), 0))


def _check_join(eval_ctx, value, d="", attribute=None):
    items = list(value)
    _at_most(size(items) + len(str(d)) * len(items))
    return eval_ctx, items, d, attribute


def _check_sum(environment, iterable, attribute=None, start=0):
    if isinstance(start, (list, tuple)):  # each addition copies the total so far
        items = list(iterable)
        if len(items) * (size(start) + size(items)) > MAX_BUILT:
            raise TemplateLimit(f"a sum of sequences copying more than {MAX_BUILT:,} items")
        return environment, items, attribute, start
    return None


def _check_tojson(eval_ctx, value, indent=None):
    _at_most(_laid_out(value) * (len(indent) if isinstance(indent, str) else indent or 1))


_FILTER_CHECKS = {
    "center": lambda value, width=80: _at_most(width),
    "indent": _check_indent,
    "wordwrap": _check_wordwrap,
    "format": lambda value, *args, **kwargs: _percent_size(str(value), kwargs or args),
    "replace": _check_replace,
    "join": _check_join,
    "batch": lambda value, linecount, fill_with=None: _at_most(linecount),
    "slice": lambda value, slices, fill_with=None: _at_most(slices),
    "sum": _check_sum,
    "pprint": lambda value: _at_most(_laid_out(value)),
    "tojson": _check_tojson,
}


def short(f):
    """Mark a filter of ours that makes a short text, a formatted amount or date, from a value it bounds.

    Used directly it is not metered: its own time bounds what it makes (tens of characters in
    tens of microseconds), and it runs for most outputs. ``map`` and ``select`` step it still.
    """
    f.bounded = True
    return f


def _metered(name: str, f):
    """``f`` as a step that builds its result, its arguments checked first where it can multiply them."""
    check = _FILTER_CHECKS.get(name)

    @functools.wraps(f)  # keeps jinja2's pass_context/pass_eval_context marks
    def metered(*args, **kwargs):
        budget = _active.get()
        if check is not None:
            checked = check(*args, **kwargs)
            if isinstance(checked, tuple):
                args, kwargs = checked, {}
        result = f(*args, **kwargs)
        budget.built += len(result) if type(result) is str else size(result)
        budget.steps -= 1
        if budget.built > MAX_BUILT or not budget.steps & 31:
            budget.check()
        return result

    metered.bounded = True
    return metered


class _MeteredFilters(dict):
    """The environment's filters, each metered as it is added (``env.filters[name] = f``, ``.update``).

    Wrapped on the way in, not out: a compiled template reads its filters at every render.
    A filter marked ``short`` (or metered already) is kept as it is.
    """

    def __init__(self, filters):
        super().__init__()
        self.update(filters)

    def __setitem__(self, name, f):
        super().__setitem__(name, f if getattr(f, "bounded", False) else _metered(name, f))

    def update(self, *args, **kwargs):
        for name, f in dict(*args, **kwargs).items():
            self[name] = f

    def setdefault(self, name, f=None):
        if name not in self:
            self[name] = f
        return self[name]


# --------------------------------------------------------------------------- the environment

class _CodeGenerator(CodeGenerator):
    """jinja2's code generator, with each loop iteration a step and each literal and ``~`` sized."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._iterables: set[int] = set()  # the for loops' (jinja2 allows no node type of our own to mark them)

    def visit_For(self, node, frame):
        self._iterables.add(id(node.iter))
        super().visit_For(node, frame)

    def visit(self, node, *args, **kwargs):
        if id(node) not in self._iterables:
            return super().visit(node, *args, **kwargs)
        self.write("environment.counted(")
        super().visit(node, *args, **kwargs)
        self.write(")")

    # A filter, call or ``~`` charges what it makes each time it runs (the copy autoescaping
    # makes is at most six times that): its output needs no meter of its own.
    _made = (nodes.Filter, nodes.Call, nodes.Concat)
    _unmetered = CodeGenerator._FinalizeInfo(None, None)

    def _output_child_pre(self, node, frame, finalize):
        super()._output_child_pre(node, frame, self._unmetered if isinstance(node, self._made) else finalize)

    def _output_child_post(self, node, frame, finalize):
        super()._output_child_post(node, frame, self._unmetered if isinstance(node, self._made) else finalize)

    def visit_List(self, node, frame):
        self.write("environment.weighed(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node, frame):
        self.write("environment.weighed(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Tuple(self, node, frame):
        if node.ctx != "load":  # a target: for a, b in ..., set a, b = ...
            return super().visit_Tuple(node, frame)
        self.write("environment.weighed(")
        super().visit_Tuple(node, frame)
        self.write(")")

    @optimizeconst
    def visit_Concat(self, node, frame):  # jinja2's, with the parts sized before they are joined
        if frame.eval_ctx.volatile:
            func_name = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            func_name = "markup_join"
        else:
            func_name = "str_join"
        self.write(f"{func_name}(environment.joinable((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")


def _counted(iterable):
    budget = _active.get()
    for item in iterable:
        budget.steps -= 1
        if not budget.steps & 31:
            budget.check()
        yield item


def _weighed(value):
    _active.get().charge(size(value))
    return value


def _joinable(parts: tuple) -> tuple:
    _active.get().charge(_at_most(sum(map(size, parts))))
    return parts


def _finalize(value):
    """Every ``{{ }}`` output: a step that builds the value (autoescaping may copy it)."""
    budget = _active.get()
    budget.built += len(value) if type(value) is str else size(value)
    budget.steps -= 1
    if budget.built > MAX_BUILT or not budget.steps & 31:
        budget.check()
    return value


def _concat(parts) -> str:
    """A part (the generator of its chunks) or a captured block (a list) joined, at most MAX_OUTPUT characters."""
    if type(parts) is not list:
        parts = list(parts)
    chars = sum(map(len, parts))
    budget = _active.get()
    budget.built += chars
    if chars > MAX_OUTPUT:
        raise _too_big()
    if budget.built > MAX_BUILT:
        budget.check()
    return "".join(parts)


class _Template(jinja2.Template):
    """A template that runs under a budget, however it is run (rendered, or made a module by ``.module``)."""

    def render(self, *args, **kwargs):
        if _active.get(None) is not None:  # a part of a communication
            return super().render(*args, **kwargs)
        with bounded():
            return super().render(*args, **kwargs)

    def make_module(self, vars=None, shared=False, locals=None):
        with bounded():
            return super().make_module(vars, shared, locals)


class BoundedLoader(FileSystemLoader):
    """A FileSystemLoader that refuses a file larger than MAX_SOURCE before reading it."""

    def get_source(self, environment, template):
        for folder in self.searchpath:
            path = posixpath.join(folder, *split_template_path(template))
            if os.path.isfile(path):
                if os.path.getsize(path) > MAX_SOURCE:
                    raise TemplateLimit(f"a template file of more than {MAX_SOURCE:,} bytes", path)
                break
        return super().get_source(environment, template)


_CONTEXT_KEYWORDS = ("_loop_vars", "_block_vars")  # jinja2's own, passed to every call
_RENDERERS = (Macro, LoopContext, BlockReference)  # a macro or caller, a recursive loop, self.block and super


class BoundedEnvironment(SandboxedEnvironment):
    """The sandbox with every step metered and every value sized (see the module docstring)."""

    code_generator_class = _CodeGenerator
    template_class = _Template
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    concat = staticmethod(_concat)
    counted = staticmethod(_counted)
    weighed = staticmethod(_weighed)
    joinable = staticmethod(_joinable)

    def __init__(self, **options):
        super().__init__(finalize=_finalize, **options)
        del self.globals["lipsum"]
        self.filters = _MeteredFilters(self.filters)

    def call_binop(self, context, operator, left, right):
        _check_binop(operator, left, right)
        result = self.binop_table[operator](left, right)
        _active.get().charge(size(result))
        return result

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - jinja2's names, free for keyword arguments
        if isinstance(__obj, _RENDERERS):  # it returns what it renders, from values already paid for
            paid = 0
        else:  # a method or global may keep its arguments (append, cycler, namespace)
            paid = size(args)
            for key, value in kwargs.items():
                if key not in _CONTEXT_KEYWORDS:
                    paid += size(value)
            owner = getattr(__obj, "__self__", None)
            if isinstance(owner, (str, bytes, int)):
                args = _method_args(owner, __obj.__name__, args, kwargs)
            elif owner is None:
                wrapped = getattr(__obj, "__wrapped__", None)  # str.format and format_map, as the sandbox wraps them
                if isinstance(getattr(wrapped, "__self__", None), str):
                    _format_size(wrapped.__self__, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        _active.get().spend(paid + size(result))
        return result

    def call_filter(self, name, value, args=None, kwargs=None, context=None, eval_ctx=None):
        _active.get().spend()  # map's, one item at a time
        return super().call_filter(name, value, args, kwargs, context, eval_ctx)

    def call_test(self, name, value, args=None, kwargs=None, context=None, eval_ctx=None):
        _active.get().spend()  # select's and reject's, one item at a time
        return super().call_test(name, value, args, kwargs, context, eval_ctx)

    def get_template(self, name, parent=None, globals=None):
        budget = _active.get(None)
        if budget is not None:  # an include, import or extends, while rendering: a step
            budget.spend()
        return super().get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):
        budget = _active.get(None)
        if budget is not None:
            budget.spend()
        return super().select_template(names, parent, globals)
