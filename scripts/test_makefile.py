"""Tests of the Makefile's defaults as a newcomer meets them: `make help` lists every variable with
its default, and `make token`/`make call` reach the local stack while one runs.

    python3 -m unittest discover -s scripts -p 'test_makefile.py' -v
"""

import os
import re
import subprocess
import tempfile
import unittest
from pathlib import Path

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"
# Prints what the recipes would see (make reads this file after the Makefile).
SHOW = (
    'show:\n\t@echo "STACK=[$(STACK)] DEFAULTED=[$(STACK_DEFAULTED)] TEMPLATE=[$(TEMPLATE)] API_PORT=[$(API_PORT)]"\n'
)


def make(cwd, *args):
    show = Path(cwd) / "show.mk"
    show.write_text(SHOW)
    # As from a shell: nothing an outer make (make emulator-test) exports, such as STACK.
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    done = subprocess.run(
        ["make", "-s", "-f", str(MAKEFILE), "-f", str(show), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


class StackDefault(unittest.TestCase):
    def test_aws_without_a_local_stack(self):
        with tempfile.TemporaryDirectory() as cwd:
            self.assertIn("STACK=[aws] DEFAULTED=[1]", make(cwd, "show"))

    def test_local_while_a_local_stack_runs(self):
        with tempfile.TemporaryDirectory() as cwd:
            (Path(cwd) / ".local").mkdir()
            (Path(cwd) / ".local/stack.env").write_text("API_URL=http://127.0.0.1:3000\n")
            self.assertIn("STACK=[local] DEFAULTED=[1]", make(cwd, "show"))

    def test_the_walkthrough_learns_that_the_stack_was_chosen_for_it(self):
        # Only make user/token/call pass the mark on (other scripts run the walkthrough too).
        with tempfile.TemporaryDirectory() as cwd:
            for target in ("user", "token", "call"):
                recipe = make(cwd, "-n", "-o", ".tools/aws/.installed", target)
                self.assertIn(f"STACK_DEFAULTED=1 scripts/walkthrough.sh {target}", recipe)
            self.assertIn(
                "STACK_DEFAULTED= scripts/walkthrough.sh token",
                make(cwd, "-n", "-o", ".tools/aws/.installed", "token", "STACK=aws"),
            )

    def test_a_given_stack_wins_and_is_not_marked_defaulted(self):
        with tempfile.TemporaryDirectory() as cwd:
            (Path(cwd) / ".local").mkdir()
            (Path(cwd) / ".local/stack.env").write_text("")
            self.assertIn("STACK=[aws] DEFAULTED=[]", make(cwd, "show", "STACK=aws"))


class Help(unittest.TestCase):
    def test_values_carry_no_space_from_their_comment(self):
        with tempfile.TemporaryDirectory() as cwd:
            out = make(cwd, "show")
            self.assertIn("TEMPLATE=[template.yaml] API_PORT=[3000]", out)
            self.assertIn("API_PORT=[4000]", make(cwd, "show", "API_PORT=4000"))

    def test_lists_every_variable_with_its_default(self):
        text = MAKEFILE.read_text()
        documented = re.findall(r"^([A-Z_]+) \?= (\S+) ## ", text, re.MULTILINE)
        documented += re.findall(r"^#: ([A-Z_]+) (\S+) ## ", text, re.MULTILINE)
        self.assertGreater(len(documented), 15)
        with tempfile.TemporaryDirectory() as cwd:
            out = make(cwd, "help")
        listed = {m[0]: m[1] for m in re.findall(r"^  ([A-Z_]+) +(\S+) ", out, re.MULTILINE)}
        for name, default in documented:
            self.assertEqual(listed.get(name), default, name)
        # Each variable a script reads with a default is listed (the walkthrough's ones).
        for name in ["STACK", "USERNAME", "TOKEN_USE", "TEMPLATE", "WEB"]:
            self.assertIn(name, listed)


if __name__ == "__main__":
    unittest.main()
