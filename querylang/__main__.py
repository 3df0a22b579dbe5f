from querylang.app.entry import main

main()
