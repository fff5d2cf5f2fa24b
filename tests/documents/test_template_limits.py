"""A clerk-edited template cannot take the machine: every way to spend time or memory hits a limit.

Each hostile template below took minutes or gigabytes before ``limits.py`` (issue 9). Here it
is one problem naming the template file, and the rest of the batch is not rendered from it.
The peak memory of the process is checked after all of them.
"""
import resource
import shutil

import pytest

from addin.documents import limits
from addin.documents.render import DEFAULT_TEMPLATE_DIR, render, render_batch
from addin.documents.sample import sample_communication, sample_settings

SETTINGS = sample_settings()

HOSTILE = {
    "string times a billion": "{{ 'a' * 10**9 }}",
    "a huge power": "{{ 7 ** 1000000 }}",
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
    "a string doubled forty times": ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
                                     "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"),
    "a list doubled forty times": ("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}"
                                   "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}"),
    "center filter": "{{ 'x'|center(10**9) }}",
    "str method": "{{ 'x'.ljust(10**9) }}",
    "format width": "{{ '{:>999999999}'.format(1) }}",
    "join of a big list": "{{ (['abc'] * 100000)|join('x' * 100) }}",
    "endless recursion": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "captured block": ("{% set ns = namespace(s='') %}{% for i in range(100000) %}{% set b %}"
                       "{{ 'y' * 1000 }}{% endset %}{% set ns.s = ns.s ~ b %}{% endfor %}"),
}


def _edited(tmp_path, text):
    tdir = tmp_path / "letters"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, tdir)
    (tdir / "en" / "reminder.txt.j2").write_text(text)
    return tdir


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_template_is_one_problem_naming_its_file(tmp_path, name):
    tdir = _edited(tmp_path, HOSTILE[name])
    comms = [sample_communication(i) for i in range(1, 31)]
    rendered, problems = render_batch(comms, SETTINGS, tdir)
    assert rendered == [None] * len(comms)
    assert len(problems) == 1, problems
    assert problems[0].message.startswith("letters/en/reminder.txt.j2"), problems[0].message
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1_000_000  # KiB: under 1 GB


def test_a_limit_message_says_which_limit(tmp_path):
    rendered, problems = render_batch([sample_communication(1)], SETTINGS,
                                      _edited(tmp_path, HOSTILE["nested loops"]))
    assert "over a template limit" in problems[0].message
    assert f"{limits.MAX_STEPS:,} steps" in problems[0].message


def test_a_template_file_too_big_is_refused_before_it_is_read(tmp_path):
    tdir = _edited(tmp_path, "x" * (limits.MAX_SOURCE + 1))
    rendered, problems = render_batch([sample_communication(1)], SETTINGS, tdir)
    assert rendered == [None]
    assert "letters/en/reminder.txt.j2" in problems[0].message


def test_the_other_templates_of_the_batch_still_render(tmp_path):
    tdir = _edited(tmp_path, HOSTILE["string times a billion"])
    first_notice = sample_communication(2, level=2)
    rendered, problems = render_batch([sample_communication(1), first_notice], SETTINGS, tdir)
    assert rendered[0] is None and rendered[1] is not None
    assert first_notice.template != "reminder" and len(problems) == 1


def test_the_shipped_templates_are_far_below_the_limits():
    """A letter spends a few hundred steps: the limits never stand in a real template's way."""
    comm = sample_communication(1, level=4)
    with limits.bounded():
        render(comm, SETTINGS)
        budget = limits._active.get()
        assert limits.MAX_STEPS - budget.steps < limits.MAX_STEPS // 100
        assert budget.built < limits.MAX_BUILT // 100
