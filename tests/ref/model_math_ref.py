#!/usr/bin/python3
"""model_math_ref.py — checks the math source's problems with Python's integers (arbitrary
precision), run live by tests/model/test_math.c.

IN: text lines "MODULE DIFFICULTY TEXT", TEXT a problem as the source renders it (its tokens as
characters: the prompt up to '=', the answer, '.').
OUT: exit status 0 when every line has its module's exact format, operands of exactly DIFFICULTY
digits (0..9 at difficulty 1; rem's divisor ceil(DIFFICULTY/2) digits and at least 1, sort's three
numbers DIFFICULTY digits each) and the right answer; otherwise one line per problem found on
stdout and status 1.
"""
import re
import sys

NUM = r"(0|[1-9][0-9]*)"
FORMATS = {
    "add": re.compile(rf"{NUM}\+{NUM}=(-?{NUM})\.$"),
    "sub": re.compile(rf"{NUM}-{NUM}=(-?{NUM})\.$"),
    "mul": re.compile(rf"{NUM}\*{NUM}=(-?{NUM})\.$"),
    "rem": re.compile(rf"{NUM}%{NUM}=(-?{NUM})\.$"),
    "compare": re.compile(rf"{NUM}\?{NUM}=([<>=])\.$"),
    "sort": re.compile(rf"s{NUM},{NUM},{NUM}={NUM},{NUM},{NUM}\.$"),
}


def digits_ok(s, d):
    return len(s) == d and (d == 1 or s[0] != "0")


def check(module, d, text):
    m = FORMATS[module].match(text)
    if m is None:
        return "not in the format of " + module
    g = m.groups()
    if module == "sort":
        ops = g[:3]
        if not all(digits_ok(x, d) for x in ops):
            return "operands not of %d digits" % d
        want = sorted(int(x) for x in ops)
        got = [int(x) for x in g[3:]]
        return None if got == want else "sorted as %s, not %s" % (got, want)
    a, b = g[0], g[1]
    if not digits_ok(a, d):
        return "first operand not of %d digits" % d
    if module == "rem":
        e = (d + 1) // 2
        if not digits_ok(b, e) or int(b) < 1:
            return "divisor not of %d digits or 0" % e
    elif not digits_ok(b, d):
        return "second operand not of %d digits" % d
    x, y = int(a), int(b)
    if module == "compare":
        want = "<" if x < y else ">" if x > y else "="
        return None if g[2] == want else "answer %s, not %s" % (g[2], want)
    if module == "add":
        want = x + y
    elif module == "sub":
        want = x - y
    elif module == "mul":
        want = x * y
    else:
        want = x % y
    return None if int(g[2]) == want else "answer %s, not %d" % (g[2], want)


def main():
    bad = 0
    n = 0
    for line in open(sys.argv[1]):
        module, d, text = line.split()
        n += 1
        why = check(module, int(d), text)
        if why is not None:
            bad += 1
            print("%s: %s" % (text, why))
    print("%d problems checked, %d wrong" % (n, bad))
    return 1 if bad or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
