"""The benchmark, seeding, cluster and demo mail speak the reader's language (issue 17 item 3):
`enlace --lang es|pt`, else ENLACE_DEFAULT_LANGUAGE; English stays the default. What is read
back by a program (the JSON results, the README's Markdown, the time `bench --cli` reads from
`seed scale`) stays English."""

import json
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.main import app
from services.platform.i18n import set_language
from services.tooling import bench, bench_browser_results, bench_results, cluster, demo_mail
from services.tooling import bench_measure as measure
from services.tooling.scale import seed_scale
from services.tooling.seed import seed_demo
from tests.e2e.support import free_port


def words(text: str) -> str:
    """The output with Rich's line wrapping undone: one space between words."""
    return " ".join(text.split())


def enlace(*args: str):
    return CliRunner().invoke(app, list(args))


# --- seed scale and seed demo ------------------------------------------------------------


def test_seed_scale_reports_in_spanish_with_tables_named_in_words(db):
    result = enlace("--lang", "es", "seed", "scale", "--participants", "5", "--cases", "6")
    assert result.exit_code == 0, result.output
    output = words(result.output)
    assert "Datos de escala agregados en" in output
    assert "Participantes 5" in output and "Casos 6" in output
    assert "added in" not in output and "referral_case" not in output


def test_seed_scale_speaks_the_default_language_without_lang(db, monkeypatch):
    monkeypatch.setenv("ENLACE_DEFAULT_LANGUAGE", "pt")
    result = enlace("seed", "scale", "--participants", "3", "--cases", "2")
    assert result.exit_code == 0, result.output
    assert "Dados de escala adicionados em" in words(result.output)


def test_seed_scale_refuses_bad_sizes_in_the_readers_language(db):
    result = enlace("--lang", "es", "seed", "scale", "--participants", "-1", "--cases", "3")
    assert result.exit_code == 2
    assert "--participants y --cases deben ser cero o más." in words(result.output)


def test_seeding_steps_are_named_in_the_runs_language(db, session):
    steps: list[str] = []
    set_language("pt")
    seed_demo(session=session, progress=lambda step, *_: steps.append(step))
    assert steps[0] == "Cursos e módulos" and "Contas de demonstração" in steps
    set_language("es")
    steps.clear()
    seed_scale(engine=db, participants=4, cases=4, progress=lambda step, *_: steps.append(step))
    assert steps[0] == "Organizaciones" and steps[-1] == "Listo"
    assert "Participantes, inscripciones y avance" in steps
    assert "Índices y claves foráneas" in steps


# --- enlace bench --cli ------------------------------------------------------------------


def test_bench_cli_speaks_portuguese_and_still_reads_the_seeding_time(tmp_path, monkeypatch):
    monkeypatch.delenv(bench.BENCH_DATABASE_ENV, raising=False)
    # The commands it times would speak Portuguese too: the seeding's time must still be read.
    monkeypatch.setenv("ENLACE_DEFAULT_LANGUAGE", "pt")
    out = tmp_path / "bench.json"
    tables = tmp_path / "cli.md"
    result = enlace(
        "--lang", "pt", "bench", "--cli", "--sizes", "0.01x", "--runs", "1",
        "--out", str(out), "--markdown", str(tables), "--workdir", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    output = words(result.output)
    assert "Linha de comando cronometrada em" in output and "execução por comando" in output
    assert "Comando" in output and "Mediana" in output and "núcleos" in output
    assert "results in" not in output and "median s" not in output
    data = json.loads((tmp_path / "bench-cli.json").read_text())
    assert [row["command"] for row in data["commands"]] == ["enlace --help", "enlace courses list"]
    (seeded,) = data["seed_scale"]
    assert seeded["seed_s"] is not None and 0 <= seeded["seed_s"] <= seeded["wall_s"]
    assert "| seed scale | db | participants |" in tables.read_text()  # the README's, English


def test_bench_refuses_bad_sizes_in_spanish():
    result = enlace("--lang", "es", "bench", "--sizes", "4")
    assert result.exit_code == 2
    assert "--sizes no válido: '4' no es un tamaño como 1x, 4x o 16x" in words(result.output)
    result = enlace("--lang", "pt", "bench", "--browser", "--duration", "5m")
    assert result.exit_code == 2
    assert "--duration requer --sessions 2 ou mais" in words(result.output)


# --- enlace bench (pages under AppTest) --------------------------------------------------


@pytest.fixture
def measuring_in_portuguese(monkeypatch) -> None:
    """The page benchmark with its measurements replaced by fixed figures; measuring a page
    switches the thread to Portuguese, as signing in a Portuguese-speaking account does."""

    @contextmanager
    def app_database(url: str) -> Iterator[None]:
        yield

    def measure_page(page: str, runs: int, shell: object) -> measure.PageResult:
        set_language("pt")
        return measure.PageResult(
            page=page, role="coordinator", shell_floor_s=0.05, warm_s=0.2, cold_s=1.25,
            sql_floor_cold_s=0.1, ratio_warm=1.5, ratio_cold=2.25, queries_warm=3,
            queries_cold=7, python_peak_mib=12.5, elements=1234,
        )  # fmt: skip

    monkeypatch.setattr(bench, "seed_in_child", lambda *a, **k: ({"referral_case": 6}, 0.5))
    monkeypatch.setattr(bench, "_app_database", app_database)
    monkeypatch.setattr(measure, "framework_floor", lambda runs: 0.01)
    monkeypatch.setattr(measure, "Shell", lambda folder, runs: None)
    monkeypatch.setattr(measure, "measure_page", measure_page)
    monkeypatch.setattr(
        measure, "measure_exports", lambda pages: [measure.ExportResult("png", "chart", 1.5, 4096)]
    )
    monkeypatch.setattr(measure, "peak_rss_mib", lambda: 1536.0)


def test_benchmark_steps_stay_in_the_callers_language_while_measuring_switches(
    measuring_in_portuguese, tmp_path
):
    steps: list[str] = []
    set_language("es")
    data = bench.run_benchmark(
        sizes=["0.01x"], runs=1, workdir=tmp_path, progress=lambda step, *_: steps.append(step)
    )
    assert steps[0] == "0.01x sqlite: cargando datos"
    assert "0.01x sqlite: midiendo board" in steps and steps[-1] == "Listo"
    assert not [step for step in steps if "medindo" in step or "seeding" in step]
    assert {check["target"] for check in data["checks"]} >= {"warm_s", "cold_s"}  # English keys


def test_bench_prints_spanish_tables_and_writes_english_markdown(
    measuring_in_portuguese, tmp_path, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "250")  # the table whole, no cell cut short
    out, tables = tmp_path / "bench.json", tmp_path / "bench.md"
    result = enlace(
        "--lang", "es", "bench", "--sizes", "0.01x", "--runs", "1", "--out", str(out),
        "--markdown", str(tables), "--workdir", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    output = words(result.output)
    assert "Prueba de rendimiento de Enlace" in output and "Exportaciones y memoria" in output
    assert "metas cumplidas; resultados en" in output and "targets met" not in output
    assert "1.250" in output and "2,25" in output and "1.234" in output  # es: 1.250 ms, 2,25
    assert "pico de RSS del proceso de la app: 1.536 MiB" in output
    markdown = tables.read_text()
    assert "| size | db | page | role | warm ms |" in markdown and "| 1250 | 100 | 50 |" in markdown
    assert json.loads(out.read_text())["results"][0]["pages"][0]["cold_s"] == 1.25


# --- enlace bench --browser, read back ---------------------------------------------------


def browser_data() -> dict:
    page = {"page": "Board", "median_s": 0.3, "p95_s": 0.5, "ratio_median": 2.5}
    page |= {"ratio_p95": 3.5, "server_run_ms": 80.0, "server_gc_ms": 3.0, "lost_clicks": 2}
    rss = {"start_mib": 250, "end_mib": 400, "max_mib": 410, "seconds": 1800.0}
    rss |= {"timeline": [[0, 250], [1800, 400]], "growth_last_window_mib": 30.0}
    load = {"sessions": 20, "clicks": 1500, "seconds": 50.0, "clicks_per_s": 30.0}
    load |= {"p50_s": 0.5, "p95_s": 1.4, "failed_clicks": 0}
    result = {"backend": "sqlite", "rss": rss, "load": load}
    result |= {"roles": [{"role": "manager", "first_page_s": 1.2, "pages": [page]}]}
    data = {
        "options": {"size": "16x", "rounds": 1, "streamlit_gc": False, "duration_s": 1800.0},
        "machine": {"load_average": [1.5, 1.0, 0.75]},
        "floor": {"median_s": 0.2, "p95_s": 0.25, "clicks": 1},
        "results": [result],
    }
    data["checks"] = bench_browser_results.check_targets(data)
    return data


def test_browser_summary_in_spanish_and_its_markdown_in_english():
    data = browser_data()
    set_language("es")
    text = "\n".join(bench_browser_results.summary_lines(data))
    assert "Tamaño 16x, 1 ronda en caliente por página" in text
    assert "carga promedio al final 1,50; 1,00; 0,75" in text
    assert "en 1 clic." in text and "2 clics de página perdidos" in text
    assert "20 sesiones a la vez, 1.500 clics" in text and "(30,00 clics/s)" in text
    assert "crecimiento en los últimos 10 min: +30,0 MiB" in text
    assert "Metas: 1 de 6 cumplidas." in text and "no cumplida ratio_median" in text
    markdown = bench_browser_results.markdown(data)
    assert "| db | role | page | median ms |" in markdown
    assert "| sqlite | manager | Board | 300 | 500 | 2.50 | 3.50 | 80 | 3 |" in markdown
    assert "Targets: 1 of 6 met." in markdown and "1500 clicks" not in markdown
    assert "(first page after sign-in)" in markdown and "Metas" not in markdown
    assert "(primera página después de iniciar sesión)" in bench_browser_results.page_rows(data)[0]


def test_sizes_are_refused_in_the_runs_language():
    set_language("pt")
    with pytest.raises(ValueError, match="não é um tamanho como 1x"):
        bench_results.parse_sizes("0x")
    set_language("en")
    with pytest.raises(ValueError, match="is not a size like 1x"):
        bench_results.parse_sizes("0x")


# --- the cluster (python -m services.tooling.cluster, deploy/start) ----------------------


def a_cluster(tmp_path: Path, replicas: list[int]) -> cluster.Cluster:
    return cluster.Cluster(
        port=8080, replica_ports=replicas, secrets=tmp_path / "s.toml", folder=tmp_path, env={}
    )


def test_the_cluster_says_where_it_runs_in_spanish(tmp_path):
    set_language("es")
    assert cluster.started_message(a_cluster(tmp_path, [8601, 8602])) == (
        f"Enlace en http://localhost:8080: 2 réplicas en los puertos 8601, 8602, registros en "
        f"{tmp_path}. Ctrl-C las detiene."
    )
    assert "1 réplica en el puerto 8601," in cluster.started_message(a_cluster(tmp_path, [8601]))
    with pytest.raises(ValueError, match="un clúster necesita al menos una réplica"):
        cluster.render_nginx_conf(listen=8080, replicas=[], prefix=tmp_path)


def test_the_cluster_refuses_in_the_language_given_or_the_default(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cluster, "nginx_binary", lambda: None)  # nothing is started
    assert cluster.main(["--lang", "es", "--folder", str(tmp_path)]) == 1
    assert "nginx no está instalado (apt-get install -y nginx)" in capsys.readouterr().err
    monkeypatch.setenv("ENLACE_DEFAULT_LANGUAGE", "pt")
    assert cluster.main(["--folder", str(tmp_path)]) == 1
    assert "o nginx não está instalado" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        cluster.main(["--replicas", "0"])
    assert refused.value.code == 2
    assert "--replicas deve estar entre 1 e 64 (foi informado 0)" in capsys.readouterr().err


def test_the_clusters_help_speaks_the_language_given_first(capsys):
    with pytest.raises(SystemExit) as shown:
        cluster.main(["--help", "--lang", "es"])
    assert shown.value.code == 0
    help_text = words(capsys.readouterr().out)
    assert "réplicas de `enlace serve` detrás de nginx" in help_text
    assert "idioma de los mensajes" in help_text
    with pytest.raises(SystemExit) as refused:
        cluster.main(["--lang", "fr"])
    assert refused.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err


def test_the_cluster_speaks_english_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ENLACE_DEFAULT_LANGUAGE", raising=False)
    monkeypatch.setattr(cluster, "nginx_binary", lambda: None)
    assert cluster.main(["--folder", str(tmp_path)]) == 1
    assert "nginx is not installed (apt-get install -y nginx)" in capsys.readouterr().err


def test_a_bad_default_language_setting_leaves_the_cluster_in_english(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("ENLACE_DEFAULT_LANGUAGE", "fr")
    monkeypatch.setattr(cluster, "nginx_binary", lambda: None)
    assert cluster.main(["--folder", str(tmp_path)]) == 1
    assert "nginx is not installed" in capsys.readouterr().err


# --- the demo's mail server --------------------------------------------------------------


def test_the_demo_mail_server_reports_in_the_language_of_the_command_that_started_it(tmp_path):
    set_language("es")
    lines: list[str] = []
    port = free_port()
    message = EmailMessage()
    message["From"], message["To"] = "enlace@enlace.test", "officer.ar@enlace.test"
    message["Subject"] = "Recordatorio"
    message.set_content("Hola")
    with demo_mail.local_smtp(tmp_path, lines.append, port=port):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)
    assert lines and lines[0].startswith(
        "Correo interceptado para officer.ar@enlace.test: Recordatorio ("
    )
