"""The home page and its dashboard: a composition of the domains' reads (people's capacity and
team, engagements' pipeline), outside every layer so that core stays domain-free
(docs/architecture.md)."""
