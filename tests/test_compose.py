"""docker-compose.yml and the Dockerfile point at things that exist, with the settings they need.

No Docker engine runs here or in CI, so the stack is checked by reading it: every command is
parsed by the program it starts (gunicorn's and Celery's own option parsers, Django's command
parsers) and its target imported; every variable is interpolated the way compose does it.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

import environ
import pytest
import yaml
from celery.app.utils import find_app
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli
from celery.utils.imports import symbol_by_name
from django.core.management import get_commands, load_command_class
from django.urls import resolve

from cpp_portal import health
from cpp_portal.celery import app as celery_app

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
IMAGE_WORKDIR = "/app"  # the Dockerfile's WORKDIR, where the repository is copied

APP_SERVICES = ("migrate", "web", "worker", "cleaner-worker", "beat")
# What each process cannot start without: settings raise, or it would quietly use SQLite and
# the filesystem broker inside its own container.
NEEDS = {
    "web": {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"},
    "worker": {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"},
    "cleaner-worker": {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"},
    "beat": {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"},
    "migrate": {"SECRET_KEY", "DATABASE_URL"},
}
# Settings variables that only make sense on a developer's machine or in tests.
NOT_FOR_THE_STACK = {"DEBUG", "CPP_LOCAL_DIR", "STATIC_ROOT", "CELERY_TASK_ALWAYS_EAGER"}
# Read by the programs themselves rather than by settings.
READ_BY_PROGRAMS = {"WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "FORWARDED_ALLOW_IPS", "DJANGO_SETTINGS_MODULE"}
# What an operator must supply; everything else has a default.
OPERATOR_ENV = {
    "SECRET_KEY": "an-operator-secret",
    "POSTGRES_PASSWORD": "an-operator-password",
    "CPP_CREDENTIALS_KEYS": "an-operator-fernet-key",
}


# --- Reading the files the way docker does ------------------------------------------------------


class MissingVariable(Exception):
    pass


_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_]\w*))"
)


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}."""

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["name"] or match["bare"], match["op"], match["arg"]
        value = env.get(name)
        unset_or_empty = not value
        if op in (":?", "?") and (unset_or_empty if op == ":?" else value is None):
            raise MissingVariable(f"{name}: {arg}")
        if op == ":-" and unset_or_empty or op == "-" and value is None:
            return arg
        return value or ""

    return _VARIABLE.sub(substitute, text)


def interpolate_all(node, env: Mapping[str, str]):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_all(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_all(value, env) for key, value in node.items()}
    return node


def load_raw_compose() -> dict:
    # safe_load understands the `<<: *app` merge keys that share the app services' settings.
    return yaml.safe_load(COMPOSE_FILE.read_text())


def environment_of(service: dict) -> dict[str, str | None]:
    """A service's variables as a mapping; None means passed through from the host only if set."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in env)
        return dict(pairs)
    return {name: None if value is None else str(value) for name, value in env.items()}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1].strip() if len(parts) > 1 else "")
        for parts in (line.strip().split(None, 1) for line in joined.splitlines() if line.strip())
    ]


def dockerfile_argv(instruction: str) -> list[str] | None:
    found = [args for name, args in dockerfile_instructions() if name == instruction]
    if not found:
        return None
    args = found[-1]  # like docker, the last one wins
    return json.loads(args) if args.startswith("[") else ["/bin/sh", "-c", args]


def as_argv(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


@pytest.fixture(scope="module")
def compose() -> dict:
    return interpolate_all(load_raw_compose(), OPERATOR_ENV)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


# --- Checking a command by asking the program that would run it ----------------------------------


def check_gunicorn(argv: list[str]) -> None:
    from gunicorn.config import Config
    from gunicorn.util import import_app

    try:
        parsed = Config().parser().parse_args(argv[1:])  # gunicorn's own argparse parser
    except SystemExit:  # argparse exits on an unknown option or a bad value
        pytest.fail(f"gunicorn rejects these arguments (see its message above): {argv}")
    assert len(parsed.args) == 1, f"gunicorn needs exactly one app, got {parsed.args}"
    application = import_app(parsed.args[0])  # gunicorn's own loader: module:attribute, callable
    assert callable(application)


def check_celery(argv: list[str]) -> None:
    assert argv[1:2] in (["-A"], ["--app"]) and len(argv) >= 4, f"expected `celery -A <app> <command> …`: {argv}"
    app_name, subcommand = argv[2], argv[3]
    assert find_app(app_name) is celery_app, f"-A {app_name} does not find the portal's Celery app"
    context = celery_cli.make_context(
        "celery", argv[1:4], obj=CLIContext(app=celery_app, no_color=True, workdir=None, quiet=True)
    )
    command = celery_cli.get_command(context, subcommand)
    assert command is not None, f"celery has no `{subcommand}` command"
    # Celery's own click parser: unknown options, bad log levels or pools fail here.
    options = command.make_context(subcommand, argv[4:], parent=context).params
    declared = {queue.name for queue in celery_app.conf.task_queues}
    for queue in options.get("queues") or []:
        assert queue in declared, f"queue {queue!r} is not declared in task_queues {sorted(declared)}"
    if options.get("scheduler"):
        symbol_by_name(options["scheduler"])  # raises if the class does not import


def check_manage_py(argv: list[str]) -> None:
    assert (REPO / "manage.py").is_file()
    name = argv[2]
    commands = get_commands()
    assert name in commands, f"`manage.py {name}`: no such management command"
    # The command's own parser: misspelt options fail here (CommandError, not a silent exit).
    load_command_class(commands[name], name).create_parser("manage.py", name).parse_args(argv[3:])


def check_python_c(argv: list[str]) -> None:
    compile(argv[2], "<python -c>", "exec")


def repo_path(path_in_image: str) -> Path:
    if path_in_image.startswith(IMAGE_WORKDIR + "/"):
        return REPO / path_in_image[len(IMAGE_WORKDIR) + 1 :]
    return REPO / path_in_image.removeprefix("./")


def check_script(argv: list[str]) -> None:
    script = repo_path(argv[0])
    assert script.is_file(), f"{argv[0]}: no such file in the repository ({script})"
    assert script.stat().st_mode & 0o111, f"{argv[0]} is not executable: chmod +x (git keeps the bit)"
    first_line = script.read_text().splitlines()[0]
    assert first_line.startswith("#!"), f"{argv[0]} has no #! line"
    shell = "bash" if "bash" in first_line else "sh"
    syntax = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr


def check_command(argv: list[str]) -> None:
    """Fail unless `argv`, run in the image, would start something that exists."""
    assert argv, "empty command"
    program = Path(argv[0]).name
    if program == "gunicorn":
        check_gunicorn(argv)
    elif program == "celery":
        check_celery(argv)
    elif program.startswith("python") and argv[1:2] == ["manage.py"]:
        check_manage_py(argv)
    elif program.startswith("python") and argv[1:2] == ["-c"]:
        check_python_c(argv)
    elif program in ("sh", "bash") and argv[1:2] == ["-c"]:
        check_command(shlex.split(argv[2]))
    else:
        check_script(argv)


def healthcheck_argv(test) -> list[str]:
    test = as_argv(test)
    if test[0] == "CMD-SHELL":
        return shlex.split(test[1])
    assert test[0] == "CMD", f"healthcheck test must start with CMD or CMD-SHELL: {test}"
    return test[1:]


# --- The services -------------------------------------------------------------------------------


def test_the_stack_has_every_process_of_the_portal(services):
    assert set(services) == {*APP_SERVICES, "postgres", "redis", "moto"}
    # Only the fake AWS is optional; everything else starts with a plain `docker compose up`.
    assert services["moto"]["profiles"] == ["fakeaws"]
    assert services["moto"]["image"].startswith("motoserver/moto")
    assert [name for name, service in services.items() if service.get("profiles")] == ["moto"]


@pytest.mark.parametrize("name", sorted(load_raw_compose()["services"]))
def test_every_service_is_built_from_a_dockerfile_that_exists_or_uses_an_image(services, name):
    service = services[name]
    if "build" in service:
        build = service["build"]
        build = {"context": build} if isinstance(build, str) else build
        context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        assert (context / build.get("dockerfile", "Dockerfile")).is_file()
    else:
        assert service.get("image"), f"{name} has neither build nor image"


def test_web_workers_beat_and_migrate_run_the_one_web_image(services):
    web = services["web"]
    for name in APP_SERVICES:
        assert services[name]["image"] == web["image"], name
        assert services[name].get("build") == web["build"], name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_command_starts_something_that_exists(services, name):
    service = services[name]
    entrypoint = service.get("entrypoint", dockerfile_argv("ENTRYPOINT"))
    command = service.get("command", dockerfile_argv("CMD"))
    assert command, f"{name} has no command and the Dockerfile no CMD"
    if entrypoint:
        check_script(as_argv(entrypoint))  # it must `exec "$@"` the command checked next
    check_command(as_argv(command))


def test_each_worker_listens_to_its_own_declared_queue(services):
    def queues(name):
        argv = as_argv(services[name]["command"])
        return argv[argv.index("-Q") + 1].split(",")

    assert queues("worker") == ["default"]
    assert queues("cleaner-worker") == ["cleaner"]
    # Every declared queue has a worker, or its tasks would wait forever.
    assert {q.name for q in celery_app.conf.task_queues} == {*queues("worker"), *queues("cleaner-worker")}


def test_beat_uses_the_database_scheduler(services):
    argv = as_argv(services["beat"]["command"])
    assert argv[argv.index("--scheduler") + 1] == "django_celery_beat.schedulers:DatabaseScheduler"


def test_migrate_runs_once_and_everything_that_reads_the_database_waits_for_it(services):
    assert as_argv(services["migrate"]["command"])[:3] == ["python", "manage.py", "migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "cleaner-worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name


@pytest.mark.parametrize("name", sorted(load_raw_compose()["services"]))
def test_depends_on_names_defined_services_that_can_satisfy_the_condition(services, name):
    depends_on = services[name].get("depends_on") or {}
    if isinstance(depends_on, list):
        depends_on = {dependency: {"condition": "service_started"} for dependency in depends_on}
    for dependency, spec in depends_on.items():
        assert dependency in services, f"{name} depends on undefined service {dependency!r}"
        assert not services[dependency].get("profiles"), f"{name} depends on optional {dependency!r}"
        condition = spec.get("condition", "service_started")
        assert condition in {"service_started", "service_healthy", "service_completed_successfully"}
        if condition == "service_healthy":
            assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck to wait for"


@pytest.mark.parametrize(
    "name", [name for name in APP_SERVICES if "healthcheck" in load_raw_compose()["services"][name]]
)
def test_healthchecks_in_the_portal_image_run_real_commands(services, name):
    check_command(healthcheck_argv(services[name]["healthcheck"]["test"]))


def test_web_healthcheck_asks_healthz_on_the_port_gunicorn_binds(services):
    web = services["web"]
    test = " ".join(healthcheck_argv(web["healthcheck"]["test"]))
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\S*?)['\"]", test)
    assert url, f"web's healthcheck does not request a local URL: {test}"
    port, path = url.groups()
    assert resolve(path).func is health.healthz
    gunicorn_argv = as_argv(web.get("command", dockerfile_argv("CMD")))
    assert gunicorn_argv[gunicorn_argv.index("--bind") + 1] == f"0.0.0.0:{port}"
    assert any(mapping.endswith(f":{port}") for mapping in web["ports"])


def test_postgres_and_redis_are_healthchecked_and_keep_their_data_in_volumes(compose, services):
    assert "pg_isready" in " ".join(as_argv(services["postgres"]["healthcheck"]["test"]))
    assert as_argv(services["redis"]["healthcheck"]["test"]) == ["CMD", "redis-cli", "ping"]
    for name, mount in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data")):
        volume = next(v.split(":")[0] for v in services[name]["volumes"] if v.endswith(f":{mount}"))
        assert volume in compose["volumes"], f"{name}'s volume {volume} is not declared"


# --- The environment ----------------------------------------------------------------------------


def variables_the_portal_reads() -> set[str]:
    # The running processes read the environment in settings (django-environ) and the AWS module;
    # the developer tools beside them (local_stack, fake_aws) are not part of the stack.
    reads = re.compile(
        r"""(?:\.(?:str|bool|int|float|list|tuple|dict|json|url|db|db_url|cache|path)"""
        r"""|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    )
    names: set[str] = set()
    for module in ("settings.py", "aws.py"):
        names |= set(reads.findall((REPO / "cpp_portal" / module).read_text()))
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"} <= names, "the pattern went stale"
    return names


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_app_service_gets_the_settings_it_cannot_start_without(services, name):
    env = environment_of(services[name])
    for variable in sorted(NEEDS[name]):
        assert env.get(variable), f"{name} gets no {variable}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_passed_is_read_by_the_portal_and_every_setting_can_be_passed(services, name):
    passed = set(environment_of(services[name]))
    read = variables_the_portal_reads()
    # A misspelt name (DATABSE_URL) would be ignored and the default used without a word.
    unknown = {v for v in passed - read - READ_BY_PROGRAMS if not v.startswith("AWS_")}
    assert not unknown, f"{name} passes variables nothing reads: {sorted(unknown)}"
    # A setting the stack cannot pass is one that production silently runs on its default.
    missing = read - passed - NOT_FOR_THE_STACK
    assert not missing, f"{name} does not pass {sorted(missing)}: add them to x-app in docker-compose.yml"


def test_secret_key_is_never_defaulted_anywhere():
    raw = load_raw_compose()
    for name, service in raw["services"].items():
        env = environment_of(service)
        if "SECRET_KEY" in env:
            assert re.fullmatch(r"\$\{SECRET_KEY:?\?[^}]+\}", env["SECRET_KEY"] or ""), (
                f"{name}: SECRET_KEY must be ${{SECRET_KEY:?…}}, never a value or a default: {env['SECRET_KEY']!r}"
            )
        assert not service.get("env_file"), f"{name}: an env_file could carry a default SECRET_KEY"
    for instruction, args in dockerfile_instructions():
        if instruction in ("ENV", "ARG", "LABEL"):
            assert "SECRET_KEY" not in args, f"the image must not carry a SECRET_KEY: {instruction} {args}"


def test_compose_refuses_to_start_without_the_operator_secrets():
    for missing in OPERATOR_ENV:
        env = {name: value for name, value in OPERATOR_ENV.items() if name != missing}
        with pytest.raises(MissingVariable, match=missing):
            interpolate_all(load_raw_compose(), env)
        with pytest.raises(MissingVariable, match=missing):
            interpolate_all(load_raw_compose(), {**env, missing: ""})  # empty counts as missing


def test_database_and_redis_urls_point_at_the_stack_own_services(services):
    env = environment_of(services["web"])
    database = environ.Env.db_url_config(env["DATABASE_URL"])
    assert database["ENGINE"] == "django.db.backends.postgresql"
    postgres = environment_of(services["postgres"])
    assert (database["HOST"], database["PORT"]) == ("postgres", 5432)
    assert (database["USER"], database["PASSWORD"], database["NAME"]) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    from cpp_portal.settings import _next_redis_database

    broker = env["REDIS_URL"]
    cache = env.get("REDIS_CACHE_URL") or _next_redis_database(broker)
    assert broker.startswith("redis://redis:6379/") and cache.startswith("redis://redis:6379/")
    assert cache != broker  # a cache clear must not wipe the queues


def test_the_portal_address_is_allowed_and_so_is_the_healthcheck(services):
    hosts = environment_of(services["web"])["ALLOWED_HOSTS"].split(",")
    assert "127.0.0.1" in hosts and "localhost" in hosts
    env = {**OPERATOR_ENV, "ALLOWED_HOSTS": "portal.example.com"}
    hosts = environment_of(interpolate_all(load_raw_compose(), env)["services"]["web"])["ALLOWED_HOSTS"]
    assert hosts.split(",") == ["portal.example.com", "127.0.0.1"]


# --- The image ----------------------------------------------------------------------------------


def test_dockerfile_builds_on_python_311_slim_and_runs_as_a_user_not_root():
    instructions = dockerfile_instructions()
    assert [args for name, args in instructions if name == "FROM"] == ["python:3.11-slim"]
    users = [args for name, args in instructions if name == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0"), "the image must not run as root"
    assert ("WORKDIR", IMAGE_WORKDIR) in instructions


def test_dockerfile_installs_from_pyproject_and_collects_static_files_at_build():
    instructions = dockerfile_instructions()
    runs = [args for name, args in instructions if name == "RUN"]
    copies = [args for name, args in instructions if name == "COPY"]
    install = next(i for i, (name, args) in enumerate(instructions) if name == "RUN" and "pip install ." in args)
    copy_pyproject = instructions.index(("COPY", "pyproject.toml ./"))
    assert copy_pyproject < install, "pyproject.toml must be copied before pip installs from it"
    assert any("collectstatic --noinput" in run and "SECRET_KEY=" in run for run in runs)
    for sources in (copy.split()[:-1] for copy in copies):
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"


def test_dockerfile_cmd_starts_gunicorn_on_the_portal():
    cmd = dockerfile_argv("CMD")
    assert cmd[:2] == ["gunicorn", "cpp_portal.wsgi:application"]
    check_command(cmd)
    entrypoint = dockerfile_argv("ENTRYPOINT")
    if entrypoint:
        check_script(entrypoint)


def _ignored(path: str, patterns: list[str]) -> bool:
    # Enough of .dockerignore's rules for these names: a pattern matches the path or a parent.
    parts = Path(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(candidate, pattern.removeprefix("**/")) or fnmatch.fnmatch(Path(candidate).name, pattern)
        for pattern in patterns
        for candidate in candidates
    )


def test_dockerignore_keeps_secrets_and_local_state_out_but_the_code_in():
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns), "re-inclusions are not understood by this test"
    for secret_or_state in (".env", ".env.production", ".git/config", ".venv/bin/python", ".local/db.sqlite3"):
        assert _ignored(secret_or_state, patterns), f"{secret_or_state} would be sent to the build"
    apps = [p.parent.name for p in REPO.glob("*/apps.py")]
    for needed in ("pyproject.toml", "manage.py", "cpp_portal/wsgi.py", "templates", "static", *apps):
        assert not _ignored(needed, patterns), f"{needed} is needed in the image but .dockerignore drops it"
