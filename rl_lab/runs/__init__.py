"""The run directory, the lab's central object: its layout and files (:mod:`.layout`), atomic
writes (:mod:`.atomic`), the lock held while training (:mod:`.lock`), staging that never destroys
a finished run (:mod:`.staging`), loading a model without unpickling (:mod:`.safe_model`) and
reading user files safely (:mod:`.file_limits`)."""
