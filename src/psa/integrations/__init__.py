"""Client adapters for outside systems (GitLab, …): they fetch and return plain values, hold no
business rules and call no domain. Domains call them."""
