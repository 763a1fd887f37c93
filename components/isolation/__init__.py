"""User model code contained: the endpoint namespace's network policy, mesh mTLS and
authorization, the gateway's authentication, and the connectivity matrix they imply.

- settings.py   the stack's `isolation` block (the operator's OIDC issuer, an existing
                cluster's CNI, your own Istio's istiod namespace and trust domain, why it is off)
- policies.py   every object as plain data (NetworkPolicy, PeerAuthentication,
                AuthorizationPolicy, RequestAuthentication), from the stack alone
- netpol.py     a small NetworkPolicy evaluator (no maintained one exists on PyPI)
- matrix.py     who an endpoint pod can reach, computed from policies.py through netpol.py
- capabilities.py  the capability rows isolation decides (authentication, cron triggers, bundle
                batch jobs, multinode endpoints)
- component.py  the one component that emits policies.py's objects
"""
