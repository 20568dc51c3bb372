"""Tests for partitioner.races.rules: resource lines that config reads back and grouping honours."""

from __future__ import annotations

import configparser
from pathlib import Path

import fixtures
import testtools

from partitioner.config import load_settings
from partitioner.grouping import BUILTIN, group_tests, merge_by_resources
from partitioner.races import Partner, Suspect, diagnose, resource_rules
from partitioner.races.rules import merge_into, suggest, tie
from tests.builders import A, B, C, D, racing_runs


class TestResourceRules(testtools.TestCase):
    def suspects(self) -> list[Suspect]:
        return [Suspect(A, (Partner(B, 0.9, 1.0, 2), Partner(C, 0.5, 1.0, 1)), "class", (f"{A}.test_1",)),
                Suspect(B, (Partner(A, 0.9, 1.0, 2),), "class", (f"{B}.test_1",)),
                Suspect(f"{C}.test_1", (Partner(f"{C}.test_2", 1.0, 1.0, 1), Partner(f"{D}.test_9[x]", 0.7, 1, 1)))]

    def test_one_line_per_pair_round_trips_through_settings_and_grouping(self) -> None:
        text = resource_rules(self.suspects())
        self.assertEqual(
            "[partitioner]\nresources =\n"
            "    race1: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_b\\.BTest)\\.\n"
            "    race2: ^(?:pkg\\.mod_c\\.CTest|pkg\\.mod_d\\.DTest)\\.\n", text)
        root = Path(self.useFixture(fixtures.TempDir()).path)
        (root / ".testr.conf").write_text("[DEFAULT]\ntest_command=python -m subunit.run $LISTOPT $IDOPTION\n"
                                          "group_regex=([^\\.]*\\.)*\n\n" + text)
        settings = load_settings(root)
        self.assertEqual(["race1", "race2"], [r.name for r in settings.resources])
        ids = [f"{A}.test_1", f"{A}.test_2[smoke]", f"{B}.test_1", f"{C}.test_1(scenario.one)", f"{D}.test_9[x]",
               "pkg.mod_a.ATestMore.test_1", "pkg.mod_e.ETest.test_1"]
        groups, merges = merge_by_resources(group_tests(ids, BUILTIN["class"]),
                                            [(r.name, r.pattern) for r in settings.resources])
        together = {g.key: set(g.tests) for g in groups}
        self.assertEqual({f"{A}.test_1", f"{A}.test_2[smoke]", f"{B}.test_1"}, together["resource:race1"])
        self.assertEqual({f"{C}.test_1(scenario.one)", f"{D}.test_9[x]"}, together["resource:race2"])
        self.assertEqual({"pkg.mod_a.ATestMore.test_1"}, together["pkg.mod_a.ATestMore"])  # prefix, not a match
        self.assertEqual(2, len(merges))

    def test_existing_resources_are_kept_and_their_names_not_reused(self) -> None:
        text = resource_rules(self.suspects()[:1], existing=[("race1", "^db\\."), ("net", "network")])
        self.assertEqual("[partitioner]\nresources =\n    race1: ^db\\.\n    net: network\n"
                         "    race2: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_b\\.BTest)\\.\n", text)

    def test_a_tie_at_the_top_is_only_a_commented_out_suggestion(self) -> None:
        tied = Suspect(A, (Partner(B, 0.7, 1.0, 1), Partner(C, 0.7, 0.5, 1), Partner(D, 0.5, 1.0, 1)), "class",
                       (f"{A}.test_1",))
        (rule,) = suggest([tied])
        self.assertEqual(((A, B), (C,), False), (rule.pair, rule.tied, rule.active))
        self.assertEqual(f"2 partner classes tie at the top score 0.700: {B}, {C}", tie(rule))
        self.assertEqual(
            "[partitioner]\nresources =\n"
            f"    # not confirmed (2 partner classes of {A} tie at the top score 0.700: {B}, {C}; the line takes the "
            "smallest id, and `partitioner races --confirm` runs the pairs to tell them apart): uncomment the next "
            "line to keep it anyway\n"
            "    # race1: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_b\\.BTest)\\.\n", resource_rules([tied]))
        untied = Suspect(A, (Partner(B, 0.7, 1.0, 1), Partner(C, 0.6, 0.5, 1)), "class", (f"{A}.test_1",))
        self.assertEqual([True], [r.active for r in suggest([untied])])

    def test_a_tie_within_the_partner_class_is_no_tie(self) -> None:
        # test view: two tests of the same class share the top score; the rule's class is the same either way
        suspect = Suspect(f"{A}.test_1", (Partner(f"{B}.test_1", 0.7, 1.0, 1), Partner(f"{B}.test_2", 0.7, 1.0, 1)))
        self.assertEqual([((A, B), True)], [(r.pair, r.active) for r in suggest([suspect])])

    def test_nothing_to_separate(self) -> None:
        self.assertEqual("", resource_rules([Suspect(A, (), "class")]))
        self.assertEqual("", resource_rules([Suspect(f"{A}.test_1", (Partner(f"{A}.test_2", 1.0, 1.0, 1),))]))

    def test_rules_from_a_diagnosis_keep_the_racing_classes_together(self) -> None:
        runs = racing_runs()
        text = resource_rules(diagnose(runs[2], history=runs).classes)
        self.assertIn(f"race1: ^(?:{A.replace('.', chr(92) + '.')}|{B.replace('.', chr(92) + '.')})\\.", text)


class TestMergeInto(testtools.TestCase):
    SECTION = "[partitioner]\nresources =\n    db: ^pkg\\.db\\.\n    race1: ^(?:A|B)\\.\n"

    def settings_of(self, text: str) -> list[tuple[str, str]]:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        (root / ".testr.conf").write_text(text)
        # what testr and stestr do: a strict parser must accept the file
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text)
        return [(r.name, r.pattern.pattern) for r in load_settings(root).resources]

    def test_a_file_without_the_section_gets_it_at_the_end(self) -> None:
        merged = merge_into("[DEFAULT]\ntest_command=true\n", self.SECTION)
        self.assertEqual("[DEFAULT]\ntest_command=true\n\n" + self.SECTION, merged)
        self.assertEqual([("db", "^pkg\\.db\\."), ("race1", "^(?:A|B)\\.")], self.settings_of(merged))

    def test_the_resources_value_is_replaced_and_the_rest_kept(self) -> None:
        text = ("[DEFAULT]\ntest_command=true\n\n[partitioner]\ngroup_by = class\nresources =\n    db: ^pkg\\.db\\.\n"
                "    # a comment\n\n    old: x\n\nserial = [serial]\n\n[other]\nkey = 1\n")
        merged = merge_into(text, self.SECTION)
        self.assertEqual("[DEFAULT]\ntest_command=true\n\n[partitioner]\ngroup_by = class\nresources =\n"
                         "    db: ^pkg\\.db\\.\n    race1: ^(?:A|B)\\.\n\nserial = [serial]\n\n[other]\nkey = 1\n",
                         merged)
        self.assertEqual([("db", "^pkg\\.db\\."), ("race1", "^(?:A|B)\\.")], self.settings_of(merged))
        self.assertEqual(merged, merge_into(merged, self.SECTION))  # merging twice changes nothing

    def test_a_section_without_resources_gets_them_after_its_header(self) -> None:
        merged = merge_into("[partitioner]\nconcurrency = 4\n", self.SECTION)
        self.assertEqual("[partitioner]\nresources =\n    db: ^pkg\\.db\\.\n    race1: ^(?:A|B)\\.\nconcurrency = 4\n",
                         merged)
        self.assertEqual(2, len(self.settings_of(merged)))
