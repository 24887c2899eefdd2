from hpotui.cli.main import main

main()
