"""The quarterly certification chain and the lock it puts on time.

generated → (delivery manager certifies) manager_certified → (head of PS approves)
head_approved → (finance partner gives final approval) approved, and the quarter's time is
locked. Each step may reject, with a reason, back to the step that owns the fix: to the person
(returned: they correct the hours and send it back to their manager) or to an earlier step,
which decides again. Nobody decides on their own hours; steps happen in order only.
Corrections to locked time are adjusting entries with a reason: they send the certification
through the chain again (the time stays locked). Finance may reopen a certification with a
reason, which unlocks it.

The chain itself (who decides at which status, and where a rejection goes) is in
timetracking.rules; its reads are in `selectors`, its writes in `services`."""
