"""Read settings from ``.testr.conf``, ``.stestr.conf``, ``tox.ini``, ``setup.cfg`` and ``pyproject.toml``.

Precedence, highest first: command-line flags; the ``[partitioner]`` section of ``.testr.conf``, then
``.stestr.conf``, then ``tox.ini``, then ``setup.cfg``, then ``[tool.partitioner]`` in ``pyproject.toml``
(the first file that sets an option wins); then testr/stestr's own ``group_regex`` / ``parallel_class``
in ``[DEFAULT]``; then the built-in defaults. :meth:`Settings.choose` is that rule, the one place every
caller (CLI, runner, hooks) asks "which value, and from where?". Every option is listed in :data:`OPTIONS`
and documented once, in ``docs/configuration.md``.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from partitioner.errors import ConfigError, HistoryError, exception_words
from partitioner.grouping.spec import CLASS_REGEXES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: every option of the [partitioner] section, with a one-line meaning
OPTIONS: Mapping[str, str] = {
    "group_by": "class (default; none when .stestr.conf/.testr.conf has no group_regex, as the tool splits per "
                "test), module, none, regex:RE or callback:package.module:function",
    "strategy": "lpt (default), testr or roundrobin",
    "history": "history sources, one per line: repository dirs, subunit streams, JSON timing files, a history store "
               "URL (sqlite:///PATH, postgresql://USER@HOST/DB), http(s) URLs; read by plan, exec and the hooks",
    "concurrency": "worker count (default: the CPU count)",
    "resources": "one 'name: regex' per line; groups matching one resource share a worker",
    "serial": "a regex over test ids, or [attr] for a test attribute: those groups run alone",
    "dispatch": "dynamic (the default where the test command allows it: a queue handed out as the run goes) "
                "or static (every worker's share fixed before the run)",
    "dispatch_order": "lookahead (default: suite order in every process, but a lane may skip ahead to a long "
                      "group that would end the run alone), suite (groups handed out in suite order, so each worker "
                      "runs its tests in the order stestr/testr would), mono (longest predicted first among the "
                      "groups that keep each test process in suite order, forking a fresh process when none is left) "
                      "or cost (longest predicted first: the best balance, for suites whose tests do not depend on "
                      "their order)",
}
#: the values of the ``dispatch`` option (and of ``--dispatch``)
DISPATCH_MODES = ("dynamic", "static")
#: the values of the ``dispatch_order`` option (and of ``--dispatch-order``); the first is the default
DISPATCH_ORDERS = ("lookahead", "suite", "mono", "cost")

CONFIG_FILES = (".testr.conf", ".stestr.conf", "tox.ini", "setup.cfg")
#: where a value that no flag and no file gave came from
DEFAULT = "the default"

_T = TypeVar("_T")


def default_concurrency() -> int:
    """The CPU count (what testr and stestr default to)."""
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Choice(Generic[_T]):
    """An option's value and where it came from: a flag, a config file, or :data:`DEFAULT`."""

    value: _T
    where: str

    @contextlib.contextmanager
    def blamed(self, name: str) -> Iterator[None]:
        """While the value is used: a :class:`~partitioner.errors.HistoryError` it raises names the config file
        option ``name`` came from (``history``: a source the file names is missing or unreadable), so the user
        knows which file to fix; a flag's or the default's error is left as it is."""
        try:
            yield
        except HistoryError as exc:
            if self.where == DEFAULT or self.where.startswith("-") or " in " not in self.where:
                raise
            what, sep, how = str(exc).partition("; ")
            raise HistoryError(f"{what} (the {name} option, {self.where}){sep}{how}") from None


@dataclass(frozen=True)
class Resource:
    """A declared shared resource: tests whose id matches ``pattern`` must not run concurrently."""

    name: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Settings:
    """Everything the files say, resolved; ``where`` names the file each option came from."""

    group_by: str | None = None
    strategy: str | None = None
    history: tuple[str, ...] = ()
    concurrency: int | None = None
    resources: tuple[Resource, ...] = ()
    serial: str | None = None
    dispatch: str | None = None
    dispatch_order: str | None = None
    test_command: str | None = None
    test_list_option: str | None = None
    test_id_option: str | None = None
    test_path: str | None = None
    top_dir: str | None = None
    stestr: bool = False
    where: Mapping[str, str] = field(default_factory=dict)

    def choose(self, name: str, flag: _T | None, default: _T, flag_name: str | None = None) -> Choice[_T]:
        """The one precedence rule: the flag when given, else the config files, else ``default``.

        An unset, empty or zero flag or option does not count as given.

        :param name: an option of :data:`OPTIONS` (``group_by``, ``strategy``, ``history``, ``concurrency``, ...)
        :param flag: the command line's value (``None`` when the caller has no such flag, as the hooks)
        :param flag_name: how to name the flag in messages (default ``--name-with-dashes``)
        """
        if name not in OPTIONS:
            raise ValueError(f"{name!r} is not an option; valid options: {', '.join(OPTIONS)}")
        if flag:
            return Choice(flag, flag_name or f"--{name.replace('_', '-')}")
        configured: Any = getattr(self, name)
        if configured:
            return Choice(configured, self.where.get(name, name))
        return Choice(default, DEFAULT)


@dataclass(frozen=True)
class _Ini:
    """What :func:`load_settings` takes from an INI file: testr's and stestr's options in ``[DEFAULT]``, and the
    ``[partitioner]`` section's own options (``None`` when the file has no such section)."""

    defaults: Mapping[str, str]
    partitioner: Mapping[str, str] | None


#: what each tool's own config file holds, for the line that says the file is missing or not a file
TOOL_FILES: Mapping[str, tuple[str, str]] = {
    ".testr.conf": ("testr", "test_command = ${PYTHON:-python} -m subunit.run discover -t ./ ./tests $LISTOPT "
                             "$IDOPTION"),
    ".stestr.conf": ("stestr", "test_path = ./DIR (the directory holding the tests)"),
}


def not_a_file(path: Path) -> str | None:
    """Why the tool's config file ``path`` (``.testr.conf`` or ``.stestr.conf``) cannot be read although something
    of that name is there -- a directory, a dangling symlink, a FIFO or another special file -- in one line that
    says how to fix it; ``None`` when it is a regular file or nothing at all is there (that is the caller's case).

    testr and stestr look for a file only: they pass over anything else, as if the project had no configuration,
    so left unsaid the name in the listing reads as a file that is there and ignored.
    """
    if path.is_file() or not os.path.lexists(path):
        return None
    tool, example = TOOL_FILES.get(path.name, ("the tool", "its options"))
    if path.is_symlink() and not path.exists():
        what = f"a symlink to {os.readlink(path)}, which does not exist"
        fix = "point the link at an existing file, or replace it with"
    else:
        what = "a directory, not a file" if path.is_dir() else "not a regular file"
        fix = f"{'move the directory' if path.is_dir() else 'move it'} away and create"
    return (f"{path} is {what}: {tool} reads its configuration from a file of that name; {fix} a file with "
            f"[DEFAULT] and {example}")


def _read_ini(path: Path) -> _Ini:
    """Read ``path`` as the tools read it (testr, stestr, tox and setuptools: configparser, strict, ``[DEFAULT]``
    the defaults), so a file they refuse -- a repeated option or section -- is refused here too, with the same line,
    and a repeated ``[DEFAULT]`` header is merged as they merge it.

    Raw: testr's values carry ``$LISTOPT`` and ``${PYTHON:-python}``, which interpolation would mangle.

    :raises ConfigError: the file does not read or does not parse, in one line naming the file and the line
    """
    parser = configparser.RawConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except configparser.Error as exc:
        raise ConfigError(f"cannot parse {path}: {ini_problem(exc)}") from exc
    except UnicodeDecodeError as exc:
        before = bytes(exc.object[:exc.start])
        line, column = before.count(b"\n") + 1, exc.start - (before.rfind(b"\n") + 1) + 1
        raise ConfigError(f"cannot read {path}: line {line} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                          f"column {column}); save the file as UTF-8") from exc
    except OSError as exc:  # permissions, or a file that vanished or broke between the listing and the read
        first = exc.strerror or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise ConfigError(f"cannot read {path}: {first}; check its permissions (the tools read it too)") from exc
    defaults = dict(parser.defaults())
    # configparser shows [DEFAULT]'s keys in every section; testr's there must not leak into [partitioner]
    for key in defaults:
        parser.remove_option(parser.default_section, key)
    own = dict(parser.items("partitioner", raw=True)) if parser.has_section("partitioner") else None
    return _Ini(defaults, own)


def _quoted_line(text: str) -> str:
    """A line of the file as the parser quoted it (``ParsingError`` keeps its ``repr``), shown as ``'text'``."""
    import ast

    with contextlib.suppress(ValueError, SyntaxError):
        value = ast.literal_eval(text)
        if isinstance(value, str):
            text = value
    return repr(text.strip())


def ini_problem(exc: configparser.Error) -> str:
    """What is wrong in an INI file, and how to fix it, for the error ``configparser`` raised reading it (testr's
    and stestr's parser, or ours): one line holding the line number and the parser's own words.

    >>> import configparser
    >>> try:
    ...     configparser.ConfigParser().read_string("[DEFAULT\\ntest_path=./tests\\n")
    ... except configparser.Error as exc:
    ...     print(ini_problem(exc))
    line 1 '[DEFAULT': File contains no section headers; close the section header with ']': [DEFAULT]
    """
    if isinstance(exc, configparser.MissingSectionHeaderError):
        line = exc.line.strip()
        fix = (f"close the section header with ']': {line}]" if line.startswith("[") and "]" not in line else
               "start the file with a section header such as [DEFAULT]")
        return f"line {exc.lineno} {line!r}: File contains no section headers; {fix}"
    if isinstance(exc, configparser.ParsingError) and exc.errors:
        number, text = exc.errors[0]
        return (f"line {number} {_quoted_line(str(text))}: parsing error: it is neither a [section] header nor a "
                "`name = value` option; write it as name = value, indent it to continue the value above, or "
                "start it with # to make it a comment")
    if isinstance(exc, configparser.DuplicateOptionError):
        return (f"line {exc.lineno}: option {exc.option!r} in section [{exc.section}] already exists (the tools "
                "read the file strictly); keep one of the two")
    if isinstance(exc, configparser.DuplicateSectionError):
        return (f"line {exc.lineno}: section [{exc.section}] already exists (the tools read the file strictly); "
                "merge the two sections")
    if isinstance(exc, configparser.InterpolationError):
        return (f"option {exc.option!r} in section [{exc.section}]: {exception_words(exc)}; the tools expand "
                "%(name)s in values: write a literal % as %%")
    return f"{exception_words(exc)}; fix the INI syntax"


def _read_toml(path: Path) -> Mapping[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"cannot parse {path}: {exception_words(exc)}; fix the TOML syntax") from exc
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"cannot parse {path}: arrays or tables nested too deeply; fix the TOML") from None
    tool = data.get("tool", {})
    section = tool.get("partitioner", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict):
        raise ConfigError(f"[tool.partitioner] in {path} is {_toml_type(section)}, not a table; write it as a "
                          f"[tool.partitioner] section of options")
    where = f"[tool.partitioner] in {path}"
    return {key: _from_toml(key, value, where) for key, value in section.items()}



def _toml_type(value: object) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array",
             dict: "a table"}
    return kinds.get(type(value), f"a {type(value).__name__}")


#: the TOML values each option takes besides a string (lines, for the options that take several)
_TOML_LISTS = frozenset({"history", "resources"})


def _from_toml(key: str, value: object, where: str) -> object:
    """A ``[tool.partitioner]`` value as the INI files would give it (a string, or a list for the options of
    several lines); ``resources`` may also be a table of ``name = "regex"``.

    :raises ConfigError: for a value of a type the option does not take
    """
    name = key.replace("-", "_")
    if isinstance(value, str):
        return value
    if name == "concurrency" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if name in _TOML_LISTS and isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    if name == "resources" and isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        named = [k for k in value if ":" in k or not k.strip()]
        if named:
            raise ConfigError(f"{where}: resource name {named[0]!r} is empty or holds ':'; name it with a word")
        return [f"{k}: {v}" for k, v in value.items()]
    if name not in OPTIONS:
        return value  # reported as an unknown option, by name
    takes = {"concurrency": "a whole number",
             "history": "a string or an array of strings",
             "resources": 'a string of "name: regex" lines, an array of them, or a table of name = "regex"'}
    raise ConfigError(f"{where}: {key} is {_toml_type(value)}; it takes {takes.get(name, 'a string')}")


def parse_resources(text: str, where: str) -> tuple[Resource, ...]:
    """``name: regex`` per line -> resources; a bad line or regex raises ConfigError naming ``where``."""
    found: list[Resource] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, regex = line.partition(":")
        if not sep or not name.strip() or not regex.strip():
            raise ConfigError(f"{where}: resources line {number} {line!r} is not 'name: regex'")
        try:
            found.append(Resource(name.strip(), re.compile(regex.strip())))
        except re.error as exc:
            raise ConfigError(f"{where}: resource {name.strip()!r} has an invalid regex {regex.strip()!r}: "
                              f"{exc}; fix the regular expression") from exc
    return tuple(found)


def _lines(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(v.strip() for v in str(value).splitlines() if v.strip())


def listing_tool(settings: Settings) -> str | None:
    """The tool whose listing a plan of the project follows (:func:`partitioner.listing.default_ids`): testr when
    ``.testr.conf`` gives a test_command (it wins when both config files are there), stestr for ``.stestr.conf``,
    else ``None``."""
    return "testr" if settings.test_command else "stestr" if settings.stestr else None


def load_settings(cwd: Path, tool: str | None = None) -> Settings:
    """Read every config file present in ``cwd``; the files are named by their absolute paths wherever the settings
    name them (one name for the same file in every command, whatever ``-C`` and the shell's directory were, and
    one that still holds in a CI log read elsewhere).

    :param tool: ``"testr"`` or ``"stestr"`` when that tool is the one running (it asked for the plan): the
        grouping its own config file asks for (``group_regex``, ``parallel_class``, or none: per test) is the only
        one taken, as the tool reads no other (a project with both files may group in one and not the other);
        ``None``: the tool whose listing a plan follows (:func:`listing_tool`: testr where ``.testr.conf`` gives a
        test_command, else stestr where ``.stestr.conf`` is), else the first of the two files that asks for one

    :raises ConfigError: a file that does not parse, an unknown option, a bad value
    """
    cwd = cwd.resolve()
    values: dict[str, object] = {}
    where: dict[str, str] = {}

    def take(options: Mapping[str, object], source: str) -> None:
        for key, value in options.items():
            name = key.replace("-", "_")
            if name not in OPTIONS:
                raise ConfigError(f"unknown option {key!r} in {source}; valid options: {', '.join(OPTIONS)}")
            if name not in values:
                values[name] = value
                where[name] = source

    settings: dict[str, object] = {}
    defaults: dict[str, str] = {}
    for name in CONFIG_FILES:
        path = cwd / name
        if name in TOOL_FILES:
            problem = not_a_file(path)
            if problem is not None:
                raise ConfigError(problem)
        if not path.is_file():
            continue
        ini = _read_ini(path)
        if ini.partitioner is not None:
            take(ini.partitioner, f"[partitioner] in {path}")
        if name in (".testr.conf", ".stestr.conf"):
            for key, value in ini.defaults.items():
                defaults.setdefault(f"{name}:{key}", value)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        take(_read_toml(pyproject), f"[tool.partitioner] in {pyproject}")

    if "concurrency" in values:
        raw = str(values["concurrency"]).strip()
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"concurrency must be a whole number >= 1, got {raw!r} in {where['concurrency']}")
        settings["concurrency"] = int(raw)
    for key in ("group_by", "strategy", "serial"):
        if key in values:
            settings[key] = str(values[key]).strip()
    if settings.get("strategy"):  # a file's bad value is that file's error (exit 1), not a usage error
        from partitioner.errors import UsageError
        from partitioner.strategies import get_strategy

        try:
            get_strategy(str(settings["strategy"]))
        except UsageError as exc:
            raise ConfigError(str(exc).replace("; choose", f" in {where['strategy']}; choose", 1)) from None
    for key, accepted in (("dispatch", DISPATCH_MODES), ("dispatch_order", DISPATCH_ORDERS)):
        if key in values:
            chosen = str(values[key]).strip().lower()
            if chosen not in accepted:
                raise ConfigError(f"{key} must be one of {', '.join(accepted)}, got {values[key]!r} in {where[key]}")
            settings[key] = chosen
    if "history" in values:
        settings["history"] = _lines(values["history"])
    if "resources" in values:
        text = "\n".join(_lines(values["resources"]))
        settings["resources"] = parse_resources(text, where["resources"])

    if tool is None:  # as listing_tool, before the settings exist
        tool = ("testr" if defaults.get(".testr.conf:test_command") else
                "stestr" if ".stestr.conf:test_path" in defaults or (cwd / ".stestr.conf").is_file() else None)
    tool_files = {"testr": (".testr.conf",), "stestr": (".stestr.conf",)}.get(tool or "",
                                                                            (".testr.conf", ".stestr.conf"))
    if "group_by" not in settings:
        for conf in tool_files:
            regex = defaults.get(f"{conf}:group_regex")
            if regex:
                # tempest's class regex means "by class": use the attrs- and scenario-aware version
                settings["group_by"] = "class" if regex.strip() in CLASS_REGEXES else f"regex:{regex}"
                where["group_by"] = f"group_regex in {cwd / conf}"
                break
            if defaults.get(f"{conf}:parallel_class", "").strip().lower() in ("true", "1", "yes", "on"):
                settings["group_by"] = "class"
                where["group_by"] = f"parallel_class in {cwd / conf}"
                break
        else:  # no grouping asked of the tool: it splits per test, and so do the hooks (plan/explain must agree)
            runner = "partitioner.run" in defaults.get(".testr.conf:test_command", "")  # our runner groups by class
            conf_file = next((c for c in tool_files if (cwd / c).is_file()), None)
            if conf_file is not None and not runner:
                settings["group_by"] = "none"
                where["group_by"] = (f"{cwd / conf_file}: no group_regex, "
                                     f"{'testr' if conf_file == '.testr.conf' else 'stestr'} splits per test")
    for key in ("test_command", "test_list_option", "test_id_option"):
        if f".testr.conf:{key}" in defaults:
            settings[key] = defaults[f".testr.conf:{key}"]
    for key in ("test_path", "top_dir"):
        if f".stestr.conf:{key}" in defaults:
            settings[key] = defaults[f".stestr.conf:{key}"].strip()
    settings["stestr"] = (cwd / ".stestr.conf").is_file()
    return Settings(where=where, **settings)  # type: ignore[arg-type]


def project_runs_the_runner(cwd: Path) -> bool:
    """Whether the project in ``cwd`` runs partitioner's runner from testr (``.testr.conf``'s test_command is
    ``python -m partitioner.run ...``), so that advice names the commands true for it
    (:mod:`partitioner.run.advice`). Config files that do not load count as no: the advice is then the
    tools' usual, and the error about them is another command's to give."""
    from partitioner.run.advice import runs_the_runner

    try:
        return runs_the_runner(load_settings(cwd).test_command)
    except ConfigError:
        return False
