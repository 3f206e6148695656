"""The HLS benchmarks run end to end in a tiny configuration, and the nginx configuration
they run (deploy/nginx/) does what docs/deploy.md says: files only through Django's
X-Accel-Redirect, anonymous answers cached for a second, signed-in requests never."""

import os
import urllib.error
import urllib.request

import pytest

from benchmarks import hls_audience, hls_serving

pytestmark = pytest.mark.skipif(not hls_serving.has_nginx(), reason="needs nginx")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A throwaway database and egress folder with a 4-second recording (2 segments)."""
    folder = tmp_path_factory.mktemp("hls")
    with hls_serving.valkey(os.environ) as redis_url:
        env = hls_serving.site_env(str(folder), redis_url)
        yield folder, env, hls_serving.prepare(env, 4.0)


def test_hls_serving_runs_every_target(site, monkeypatch):
    folder, env, recorded = site
    monkeypatch.setattr(hls_serving, "CONNECTIONS", [2])
    monkeypatch.setattr(hls_serving, "DURATION", 0.5)
    monkeypatch.setattr(hls_serving, "WARMUP", 0.2)

    lines = hls_serving.measure(str(folder), env, recorded)

    assert len(recorded.segments) == 2
    for target, line in zip(["daphne", "xaccel", "xcache", "nginx"], lines, strict=True):
        assert line.startswith(f"{target:<7} N=   2:"), line
        assert int(line.split(":", 1)[1].split("req/s")[0]) > 0, line
        assert "failed" not in line, line


def _get(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_deploy_config_caches_only_what_anonymous_listeners_may_share(site, tmp_path):
    folder, env, recorded = site
    env = {**env, "RECORDINGS_X_ACCEL_PREFIX": hls_serving.X_ACCEL_PREFIX}
    daphne_port, port = hls_serving.free_port(), hls_serving.free_port()
    daphne = hls_serving.start_daphne(env, daphne_port)
    try:
        nginx = hls_serving.start_nginx(str(tmp_path), port, env["EGRESS_ROOT"], daphne_port)
        try:
            name = recorded.segments[1]
            url = f"http://127.0.0.1:{port}{recorded.path(name)}"
            stored = (folder / "egress" / "hls" / str(recorded.space_id) / name).read_bytes()

            first = _get(url)
            again = _get(url)
            signed_in = _get(url, Cookie="sessionid=abc")
            ranged = _get(url, Range="bytes=0-99")
            playlist = _get(f"http://127.0.0.1:{port}{recorded.path('index.m3u8')}")
            direct = _get(f"http://127.0.0.1:{port}/protected/hls/{recorded.space_id}/{name}")
            missing = _get(f"http://127.0.0.1:{port}/recordings/999/{name}")
        finally:
            hls_serving.stop(nginx)
    finally:
        hls_serving.stop(daphne)

    assert (first[0], first[1]["X-Cache"], first[2]) == (200, "MISS", stored)
    assert (again[0], again[1]["X-Cache"], again[2]) == (200, "HIT", stored)
    assert first[1]["Content-Type"] == "audio/mp4"
    assert first[1]["Cache-Control"] == "private, max-age=86400"  # Django's, passed on
    assert (signed_in[0], signed_in[1]["X-Cache"], signed_in[2]) == (200, "BYPASS", stored)
    assert (ranged[0], ranged[1]["X-Cache"], ranged[2]) == (206, "BYPASS", stored[:100])
    assert playlist[0] == 200
    assert playlist[2].startswith(b"#EXTM3U")
    assert playlist[1]["Content-Type"] == "application/vnd.apple.mpegurl"
    # The files are never reachable but through Django's answer.
    assert direct[0] != 200
    assert direct[2] != stored
    assert missing[0] != 200
    assert missing[1]["X-Cache"] == "MISS"
    assert missing[2] != stored


@pytest.mark.netns
def test_hls_audience_runs(monkeypatch):
    monkeypatch.setenv("BENCH_AUDIENCE_WEBRTC", "2")
    monkeypatch.setattr(hls_audience, "HLS", [4])
    monkeypatch.setattr(hls_audience, "WINDOW", 2.0)
    monkeypatch.setattr(hls_audience, "RECORDING_SECONDS", 4.0)

    lines = hls_audience.run()

    assert len(lines) == 2, lines
    step = lines[1]
    assert step.startswith("WebRTC   2 + HLS    4: "), step
    # Whether it holds depends on the machine's load; that both kinds were heard does not.
    heard = float(step.split("WebRTC received ")[1].split("%")[0])
    on_time = float(step.split("HLS rounds on time ")[1].split("%")[0])
    assert heard > 50, step
    assert on_time > 50, step
    assert "failed" not in step, step
