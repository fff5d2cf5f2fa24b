// Load Pyodide from its npm package (no network), unpack arcollect's wheel into its file system, compile
// every module under Pyodide's CPython and import each one; print, as JSON, what each failed import lacked.
// usage: node pyodide_modules.mjs PYODIDE_PACKAGE_DIR WHEEL
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [dir, wheel] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${dir}/pyodide.mjs`).href);
const py = await loadPyodide({ indexURL: dir });
py.FS.writeFile("/arcollect.whl", readFileSync(wheel));
console.log(py.runPython(`
import compileall, importlib, json, sys, zipfile
wheel = zipfile.ZipFile("/arcollect.whl")
wheel.extractall("/site")
sys.path.insert(0, "/site")
modules = sorted(n[:-3].removesuffix("/__init__").replace("/", ".") for n in wheel.namelist()
                 if n.startswith("addin/") and n.endswith(".py"))
lacked, other = {}, {}
for name in modules:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        lacked[name] = exc.name.split(".")[0]
    except Exception as exc:
        other[name] = repr(exc)
json.dumps({"python": sys.version.split()[0], "platform": sys.platform, "modules": len(modules),
            "compiled": bool(compileall.compile_dir("/site/addin", quiet=1)), "lacked": lacked, "other": other})
`));
