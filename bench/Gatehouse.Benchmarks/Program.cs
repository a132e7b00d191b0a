using BenchmarkDotNet.Running;
using Gatehouse.Benchmarks;

// "sizes" prints the bytes-per-host table; anything else goes to BenchmarkDotNet (--filter, --job, ...).
if (args is ["sizes"])
{
    SizeReport.Print(Console.Out);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(SizeReport).Assembly).Run(args);
return 0;
