using Triggers.Silo.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddTriggersSilo();

var app = builder.Build();
await app.PrepareStorageAsync();
app.MapTriggersEndpoints();
await app.RunAsync();

public partial class Program;
