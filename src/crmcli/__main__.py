from crmcli.entry import main

main()
