"""Watching agents: playing episodes (:mod:`.play`), the networks' panel (:mod:`.overlay`), video
and GIF files (:mod:`.video`) and a window (:mod:`.viewer`)."""
