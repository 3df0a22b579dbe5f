from querylang.app.cli import main

main()
