r"""Convert a PyTorch checkpoint (RDN, SPARNet, SPARNetHD, PGAN) to .pdparams.

Example:
  python tools/convert_weights.py -c configs/rdn_x4.yaml --src RDN_BIX4.pt \
      --dst rdn_x4.pdparams
  python tools/main.py -c configs/rdn_x4.yaml --evaluate-only --load rdn_x4.pdparams
"""
import argparse


def main(argv=None):
    from ppgan_ext.tool_config import add_config_arguments
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    add_config_arguments(p, required=True)
    p.add_argument('--src', required=True, help='PyTorch .pth/.pt file')
    p.add_argument('--dst', required=True, help='output .pdparams')
    p.add_argument('--net', default='generator',
                   help='which model.<net> of the config to convert into')
    p.add_argument('--key', default=None,
                   help='entry of the checkpoint dict holding the state_dict')
    p.add_argument('--allow-module-pickle', action='store_true',
                   help='accept a whole pickled nn.Module (torch.save(model));'
                   ' its classes become inert records, no code runs')
    args = p.parse_args(argv)

    import ppgan_ext  # noqa: F401
    from ppgan_ext.config import load_config
    from ppgan_ext.convert.tool import convert_checkpoint
    from ppgan_ext.errors import exit_on_user_error
    with exit_on_user_error():
        cfg = load_config(args.config_file, args.opt)
        convert_checkpoint(cfg, args.src, args.dst, args.net, args.key,
                           args.allow_module_pickle)


if __name__ == '__main__':
    import _tool
    _tool.run(main)
