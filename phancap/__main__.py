from phancap.cli import main

main()
