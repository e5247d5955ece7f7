from crmxl.cli.main import entry

entry()
