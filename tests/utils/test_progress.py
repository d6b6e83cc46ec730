"""Progress that suits where it goes: a live bar on a terminal, short plain lines in a log,
widgets only in a kernel the runner did not start."""

import io

import pytest
from tqdm import std

from vqvae_lib.runs.runner import kernel_progress_mode
from vqvae_lib.utils import progress
from vqvae_lib.utils.progress import MAX_LINE, PlainProgress, mode, plain_line, progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_choice(monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)


def lines_of(text: str) -> list[str]:
    assert "\r" not in text
    return text.splitlines()


def test_plain_lines_every_tenth_and_at_the_end(monkeypatch):
    monkeypatch.setenv(progress.ENV, "plain")
    out = io.StringIO()
    for _ in progress_bar(range(200), desc="extract tag", unit="clip", file=out, mininterval=0):
        pass
    lines = lines_of(out.getvalue())
    assert [int(line.split()[2].rstrip("%")) for line in lines] == list(range(10, 101, 10))
    assert lines[-1].startswith("extract tag: 100% 200/200")


def test_plain_lines_are_short_whatever_the_description(monkeypatch):
    monkeypatch.setenv(progress.ENV, "plain")
    out = io.StringIO()
    bar = progress_bar(total=3, desc="é" * 300 + "\nand more", file=out, mininterval=0,
                       leave=False)
    for _ in range(3):
        bar.update(1)
        bar.set_postfix({"loss": "0.5" * 100})
    bar.close()
    lines = lines_of(out.getvalue())
    assert len(lines) == 3  # one per tenth crossed; the closing one repeats nothing
    assert all(len(line.encode()) <= MAX_LINE for line in lines)
    assert len(plain_line("x" * 500).encode()) == MAX_LINE


def test_plain_line_after_30_s_without_a_new_tenth(monkeypatch):
    monkeypatch.setenv(progress.ENV, "plain")
    clock = [1000.0]
    monkeypatch.setattr(std, "time", lambda: clock[0])  # tqdm reads its clock from there
    out = io.StringIO()
    bar = progress_bar(total=1000, desc="slow", file=out)
    for seconds in (10, 10, 15, 10, 25):
        clock[0] += seconds
        bar.update(1)
    assert len(lines_of(out.getvalue())) == 2  # at 35 s and at 70 s
    bar.close()
    assert lines_of(out.getvalue())[-1].startswith("slow: 0% 5/1000")


def test_mode_follows_the_environment_variable_then_stderr(monkeypatch, no_choice):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert mode() == "plain"
    assert isinstance(progress_bar(range(2)), PlainProgress)
    monkeypatch.setattr("sys.stderr", Terminal())
    assert mode() == "bar"
    bar = progress_bar(range(2))
    assert type(bar) is std.tqdm
    bar.close()
    for chosen in ("bar", "plain", "widget"):
        monkeypatch.setenv(progress.ENV, chosen)
        assert mode() == chosen
    monkeypatch.setenv(progress.ENV, "fancy")
    assert mode() == "bar"


def test_the_runner_gives_its_kernels_a_bar_or_plain_lines(monkeypatch, no_choice):
    assert kernel_progress_mode(Terminal()) == "bar"
    assert kernel_progress_mode(io.StringIO()) == "plain"
    monkeypatch.setenv(progress.ENV, "plain")
    assert kernel_progress_mode(Terminal()) == "plain"
    monkeypatch.setenv(progress.ENV, "widget")  # no one would see them
    assert kernel_progress_mode(io.StringIO()) == "plain"


def test_a_relay_shows_a_child_kernels_plain_lines_as_bars(capsys):
    """When a notebook in JupyterLab runs the steps it needs, their kernels' plain lines
    come through a ProgressRelay: one bar per loop, driven to the child's counts; other
    text passes on."""
    import io

    from tqdm import std

    from vqvae_lib.utils.progress import PlainProgress, ProgressRelay

    made = []

    class Bar(std.tqdm):
        def __init__(self, **kwargs):
            super().__init__(file=io.StringIO(), **kwargs)
            made.append(self)

    out = io.StringIO()
    relay = ProgressRelay(out, bar_class=Bar)
    child = PlainProgress(total=20, desc="extract tag", file=relay, mininterval=0)
    for _ in range(20):
        child.update(1)
    child.close()
    relay.write("> pretrain: 02_pretrain.ipynb\npretrain epoch: 50% 5/10 [00:01<00:01]\n")
    relay.write("pretrain epoch: 100% 10/")
    relay.write("10 [00:02<00:00]\n")
    relay.flush()

    assert [b.desc for b in made] == ["extract tag", "pretrain epoch"]
    assert made[0].n == 20 and made[0].total == 20 and made[0].disable  # closed
    assert made[1].n == 10
    assert out.getvalue() == "> pretrain: 02_pretrain.ipynb\n"
