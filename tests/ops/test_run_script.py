"""scripts/run.py's pieces: the children's environment and supervisord's configuration."""

import configparser
import importlib.util
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_run():
    spec = importlib.util.spec_from_file_location("spaces_run", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = _load_run()


def test_links_follow_the_port_make_run_serves():
    env = run.child_environment({"PATH": "/bin"}, var=ROOT / "var", port=8123)

    assert env["SITE_URL"] == "http://localhost:8123"
    # The media server and the captions worker meet on a port that follows it too.
    assert env["CAPTIONS_FEED_ADDRESS"] == "127.0.0.1:8522"
    assert "DATABASE_URL" not in env  # the settings' default: var/db.sqlite3


def test_a_given_site_url_and_database_are_kept():
    given = {"SITE_URL": "https://spaces.example.com", "DATABASE_URL": "postgres://db/spaces"}

    env = run.child_environment(given, var=Path("/tmp/elsewhere"), port=8123)

    assert env["SITE_URL"] == "https://spaces.example.com"
    assert env["DATABASE_URL"] == "postgres://db/spaces"
    assert run.child_environment({}, var=ROOT / "var", port=8000)["CAPTIONS_FEED_ADDRESS"] == (
        "127.0.0.1:8399"  # the settings' default beside the default port
    )
    given = {"CAPTIONS_FEED_ADDRESS": "10.0.0.5:9000"}
    assert run.child_environment(given, var=ROOT / "var", port=8123) == {
        **given,
        "SITE_URL": "http://localhost:8123",
        "PYTHONUNBUFFERED": "1",
    }


def test_another_var_dir_holds_the_database_too(tmp_path):
    env = run.child_environment({}, var=tmp_path, port=8000)

    assert env["DATABASE_URL"] == f"sqlite:///{tmp_path / 'db.sqlite3'}"


def _conf(tmp_path) -> configparser.RawConfigParser:
    text = run.supervisord_conf(
        var=tmp_path,
        control=tmp_path / "supervisor.sock",
        password="secret",
        host="127.0.0.1",
        port=8123,
        valkey=run.valkey_command(tmp_path, 6391),
        celery_log_level="WARNING",
    )
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


def test_supervisord_restarts_every_child_and_stops_each_whole_group(tmp_path):
    conf = _conf(tmp_path)
    programs = [s for s in conf.sections() if s.startswith(("program:", "fcgi-program:"))]

    assert sorted(p.split(":")[1] for p in programs) == [
        "beat",
        "captions",
        "daphne",
        "media",
        "valkey",
        "worker",
    ]
    for section in programs:
        assert conf[section]["autorestart"] == "true"
        assert conf[section]["stopasgroup"] == conf[section]["killasgroup"] == "true"


def test_daphne_serves_the_port_supervisord_holds(tmp_path):
    daphne = _conf(tmp_path)["fcgi-program:daphne"]

    assert daphne["socket"] == "tcp://127.0.0.1:8123"
    assert shlex.split(daphne["command"])[1:] == ["--fd", "0", "spaces_site.asgi:application"]


def test_valkey_keeps_its_data_in_an_append_only_file_under_var(tmp_path):
    command = shlex.split(_conf(tmp_path)["program:valkey"]["command"])

    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--dir") + 1] == str(tmp_path)


def test_percent_signs_reach_celery_unexpanded(tmp_path):
    worker = _conf(tmp_path)["program:worker"]["command"]

    # supervisord expands %(...)s and reads %% as one %: Celery gets worker@%h.
    assert "worker@%%h" in worker
