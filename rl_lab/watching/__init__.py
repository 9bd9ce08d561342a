"""Watching agents: playing episodes (:mod:`.play`), the networks' panel (:mod:`.overlay`), video
and GIF files (:mod:`.video`), a window (:mod:`.viewer`), and a person playing with the keyboard
(:mod:`.human_play`)."""
