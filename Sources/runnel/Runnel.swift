import RunnelApp

@main
struct Runnel {
    static func main() async {
        await RunnelCommand.start()
    }
}
