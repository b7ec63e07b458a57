#!/usr/bin/env python3
"""Runs `bulkhead test SUITE --junit OUT` and checks the report against the JUnit schema's essentials (what
GitLab, GitHub and Jenkins read): <testsuites> with <testsuite> children whose tests/failures/errors counts
match their <testcase> children; every testcase has name, classname and time; a failing case has one
<failure> or <error> with a message; the counts agree with the suite (data/mixed.toml)."""
import subprocess
import sys
import xml.etree.ElementTree as ET

bulkhead, suite, elf_dir, out = sys.argv[1:5]
run = subprocess.run([bulkhead, "test", suite, "--elf-dir", elf_dir, "--junit", out, "-j", "2"],
                     capture_output=True, text=True)
assert run.returncode == 1, f"expected status 1 (some cases fail), got {run.returncode}: {run.stderr}"

root = ET.parse(out).getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 1, len(suites)
total = {"tests": 0, "failures": 0, "errors": 0}
for ts in suites:
    for attr in ("name", "tests", "failures", "errors", "skipped", "time"):
        assert attr in ts.attrib, f"testsuite lacks {attr}"
    cases = ts.findall("testcase")
    assert int(ts.get("tests")) == len(cases)
    failures = [c for c in cases if c.find("failure") is not None]
    errors = [c for c in cases if c.find("error") is not None]
    assert int(ts.get("failures")) == len(failures), (ts.get("failures"), len(failures))
    assert int(ts.get("errors")) == len(errors), (ts.get("errors"), len(errors))
    for c in cases:
        for attr in ("name", "classname", "time"):
            assert attr in c.attrib, f"testcase lacks {attr}"
        float(c.get("time"))
        problems = c.findall("failure") + c.findall("error")
        assert len(problems) <= 1
        for p in problems:
            assert p.get("message"), "failure without message"
            assert "rerun: bulkhead test" in p.text, p.text
    total["tests"] += len(cases)
    total["failures"] += len(failures)
    total["errors"] += len(errors)
for key, value in total.items():
    assert int(root.get(key)) == value, (key, root.get(key), value)

by_name = {c.get("name"): c for c in suites[0].findall("testcase")}
assert sorted(by_name) == sorted(["passes", "wrong-output", "unexpected-fault", "missing-elf", "layout-passes"])
assert by_name["passes"].find("failure") is None and by_name["passes"].find("error") is None
wrong = by_name["wrong-output"].find("failure")
assert "line 2" in wrong.get("message") and "and a second line" in wrong.get("message"), wrong.get("message")
fault = by_name["unexpected-fault"].find("failure")
assert "BusFault" in fault.get("message") and "0x30000000" in fault.get("message"), fault.get("message")
assert by_name["missing-elf"].find("error") is not None
assert "storing to unmapped memory" in by_name["unexpected-fault"].find("system-out").text
print(f"JUnit report ok: {total}")
