"""`python app.py` serves Gongjian on the embedded SQLite default, with the demo district.

The first run upgrades the schema and seeds the demo district, so a newcomer sees a populated
site at once. `flask --app app …` runs the commands (db upgrade, seed-demo, user create, …).
"""

import os

from gongjian import create_app

app = create_app()

if __name__ == "__main__":
    from gongjian.cli import prepare_embedded

    prepare_embedded(app)
    host = os.environ.get("GONGJIAN_HOST", "127.0.0.1")
    port = int(os.environ.get("GONGJIAN_PORT", "5000"))
    print(f" * Gongjian: http://{host}:{port}/")
    app.run(host=host, port=port, debug=False, threaded=True)
