"""The run directory, the lab's central object: its layout and files (:mod:`.layout`), atomic
writes (:mod:`.atomic`). ``train`` makes a run; ``eval``, ``watch``, ``report`` and ``bench`` read it."""
