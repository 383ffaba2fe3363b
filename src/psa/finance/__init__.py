"""Finance: what the approved hours are worth. Costs and revenue priced with the rates in
force on each day, utilization, revenue recognition, margin and period close build on it."""
