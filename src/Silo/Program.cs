using Triggers.Silo.Extensions;

// appsettings.json sits beside the binary: read it from there whatever directory the silo is started in.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddTriggersSilo();

var app = builder.Build();
await app.PrepareStorageAsync();
app.MapTriggersEndpoints();
await app.RunAsync();

public partial class Program;
