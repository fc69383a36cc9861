"""What can be wrong with a market file, and the one error that reports all of it.

A bad market is refused as a whole, with every problem listed by file, line and column, so the
person fixing the files sees everything in one pass instead of one error per attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MarketFileError", "Problem"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a market file.

    Attributes
    ----------
    file
        The file name (``events.csv``), or the directory for problems about the market as a
        whole.
    line
        Physical line in the file as an editor shows it (the header is line 1); 0 when the
        problem is not about a line.
    column
        The column at fault; empty when the problem is about the whole line or file.
    message
        What is wrong, quoting the offending value (with personal data masked).
    """

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        """Format as ``file:line: column: message``, leaving out the parts that do not apply."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.column:
            return f"{where}: {self.column}: {self.message}"
        return f"{where}: {self.message}"


class MarketFileError(ValueError):
    """A market directory or file was refused; carries every problem found.

    Attributes
    ----------
    problems
        The problems in file, line and column order, at most as many as the reader was asked
        to keep.
    total
        How many problems were found in all, which can exceed ``len(problems)``.
    """

    #: How many problems ``str()`` lists before summarising the rest.
    LISTED = 50

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        self.total: int = len(self.problems) if total is None else max(total, len(self.problems))
        super().__init__(self.problems, self.total)

    def __str__(self) -> str:
        """List the first problems, one per line, and count the ones left out."""
        noun = "problem" if self.total == 1 else "problems"
        lines = [f"market data refused, {self.total} {noun}:"]
        lines += [f"  {problem}" for problem in self.problems[: self.LISTED]]
        hidden = self.total - min(len(self.problems), self.LISTED)
        if hidden > 0:
            lines.append(f"  ... and {hidden} more {'problem' if hidden == 1 else 'problems'}")
        return "\n".join(lines)
