"""The program's components. Importing them changes nothing about the provider SDKs: a real
`pulumi up` runs on the SDKs as shipped. The offline plan, the bench and the tests make the
big SDK packages load one file at a time first (plan/sdk_packages.py)."""
